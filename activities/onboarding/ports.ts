/**
 * What the onboarding needs from the outside, as ports, so the email branch (mail gateway,
 * signed reply tokens) and the RMM branch (MeshCentral) can swap the implementations without
 * touching the workflow or its activities.
 */

export type OnboardingMailTemplate = 'welcome' | 'go-live' | 'request' | 'reminder' | 'feedback';

export interface OnboardingMail {
  onboardingId: string;
  to: string;
  template: OnboardingMailTemplate;
  locale: 'fr' | 'en';
  data: Record<string, string>;
  /**
   * Opaque reference of the item a reply answers ("please send us X"). Today it travels in the
   * subject ([ref:...]) and the X-Mspflow-Onboarding-Ref header; the mail gateway replaces it
   * with a signed reply token and calls recordClientReplyForItem with the item it resolves to.
   */
  replyRef?: string;
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
