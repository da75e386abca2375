/**
 * What the onboarding needs from the outside, as ports: mail (the mail gateway, gateway-mailer.ts)
 * and the RMM's device groups, so the workflow and its activities do not depend on either.
 */

export type OnboardingMailTemplate = 'welcome' | 'go-live' | 'request' | 'reminder' | 'feedback' | 'escalation';

export interface OnboardingMail {
  onboardingId: string;
  to: string;
  template: OnboardingMailTemplate;
  locale: 'fr' | 'en';
  data: Record<string, string> & { clientName: string; contactName: string; msp: string; supportAddress: string };
  /**
   * The item a reply answers ("please send us X"): the mail carries a signed reply token of kind
   * 'onboarding' for it, and the intake hands the reply to recordClientReplyForItem.
   */
  replyItemId?: string;
  /** Business key of this email: the same key is never sent twice. */
  idempotencyKey: string;
}

export interface OnboardingMailer {
  send(mail: OnboardingMail): Promise<{ messageId: string; alreadySent: boolean }>;
}

export interface DeviceGroupClient {
  id: string;
  code: string;
  name: string;
}

export interface DeviceGroupPort {
  /** Creates (or finds) the client's device group in the RMM; idempotent on the client. */
  ensureGroup(client: DeviceGroupClient): Promise<{ groupId: string }>;
  /** Agents of this client that have reported in. */
  countReportingAgents(client: DeviceGroupClient): Promise<number>;
}
