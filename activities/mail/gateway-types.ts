import type { ReplyTokenKind, ReplyTokenRole } from '../../lib/mail/reply-token';

/**
 * The contract of the outbound mail gateway (gateway.ts): the one way mspflow sends mail.
 * Templates are `templates/<template>.<locale>.ejs`; TemplateData says what each one reads.
 */
export type MailTemplate =
  | 'ticket-acknowledgement'
  | 'ticket-new-technician'
  | 'ticket-reply'
  | 'unknown-command'
  | 'oversize-rejection'
  | 'unknown-sender-rejection'
  | 'sla-notification'
  | OnboardingMailTemplate
  | 'reports/monthly';

/** Client onboarding mail (templates/onboarding/), sent by the onboarding workflow's activities. */
export type OnboardingMailTemplate = 'onboarding/welcome' | 'onboarding/go-live' | 'onboarding/feedback' | 'onboarding/request' | 'onboarding/reminder' | 'onboarding/escalation';

export const MAIL_TEMPLATES: readonly MailTemplate[] = [
  'ticket-acknowledgement',
  'ticket-new-technician',
  'ticket-reply',
  'unknown-command',
  'oversize-rejection',
  'unknown-sender-rejection',
  'sla-notification',
  'onboarding/welcome',
  'onboarding/go-live',
  'onboarding/feedback',
  'onboarding/request',
  'onboarding/reminder',
  'onboarding/escalation',
  'reports/monthly',
];

export type MailLocale = 'fr' | 'en';

export interface TicketRef {
  id: number;
  subject: string;
  priority?: string;
  status?: string;
  clientName?: string;
}

/** What each template reads (besides `locale`, `supportAddress` and `subject()`, always given). */
export interface TemplateData {
  'ticket-acknowledgement': { ticket: TicketRef; contactName?: string | null };
  'ticket-new-technician': {
    ticket: TicketRef;
    requester: { name?: string | null; email: string };
    /** The client's message (reply text, not sanitised HTML). */
    bodyText: string;
    technicianName?: string | null;
  };
  'ticket-reply': { ticket: TicketRef; bodyText: string; technicianName: string };
  'unknown-command': { ticket: TicketRef; errors: Array<{ text: string; message: string }> };
  'oversize-rejection': { originalSubject: string; sizeBytes: number; maxBytes: number };
  'unknown-sender-rejection': { originalSubject: string };
  'sla-notification': {
    title: string;
    text: string;
    severity: 'info' | 'warning' | 'critical';
    ticket?: { id: number; number: string; subject: string; url?: string };
    fields?: Array<{ name: string; value: string }>;
  };
  'onboarding/welcome': OnboardingMailData & { welcomeUrl: string };
  'onboarding/go-live': OnboardingMailData;
  'onboarding/feedback': OnboardingMailData & { feedbackUrl: string };
  'onboarding/request': OnboardingMailData & { itemTitle: string };
  'onboarding/reminder': OnboardingMailData & { itemTitle: string; dueDate: string };
  /** To the onboarding manager in person (staff locale). */
  'onboarding/escalation': OnboardingMailData & { managerName: string; itemTitle: string; ownerRole: string; dueDate: string };
  /** The monthly report (templates/reports/): body already rendered, every value escaped, by activities/reports/render.ts. */
  'reports/monthly': { reportSubject: string; reportBody: string };
}

export interface OnboardingMailData {
  clientName: string;
  contactName: string;
  /** The MSP's name as clients know it. */
  msp: string;
  supportAddress: string;
}

export type AutomaticKind = 'auto-replied' | 'auto-generated';

export interface SendMailRequest<T extends MailTemplate = MailTemplate> {
  /**
   * Business key of this send (e.g. `ticket-42:ack`, `inbound-<ledger id>:unknown-command`,
   * `ticket-42:relay:<inbound Message-ID>`): unique for all time; a retry with the same key
   * never sends a second mail.
   */
  idempotencyKey: string;
  template: T;
  data: TemplateData[T];
  /** Plain addresses. Automatic mail: exactly one, and no cc. */
  to: string[];
  cc?: string[];
  /** The contact's language; anything but 'fr'/'en' (or nothing) falls back to 'en'. */
  locale?: string | null;
  /**
   * false: a person's message (a technician's reply relayed to the client): no budget, no
   * suppression, no Auto-Submitted. Otherwise the RFC 3834 kind: 'auto-replied' for an answer
   * to an inbound message (acknowledgement, rejection, command explanation), 'auto-generated'
   * for the rest (notifications). Automatic mail honours the suppression list and the budget.
   */
  automatic: false | AutomaticKind;
  /**
   * Automatic mail counts against the recipient's budget unless this is false: only for mail
   * to our own staff triggered by our own events (SLA notifications), which cannot loop with an
   * auto-responder and must not be dropped. Suppression still applies.
   */
  budgeted?: boolean;
  /**
   * Signed reply token for the (single) recipient: it goes in the Message-ID and in the
   * plus-addressed Reply-To, so the answer routes back to this entity. Omit for mail that needs
   * no answer (the Reply-To is then the plain support address).
   */
  replyToken?: { kind: ReplyTokenKind; entityId: string; role: ReplyTokenRole };
  ticketId?: number | null;
  /** Threading: the message this one answers, and the References chain (oldest first). */
  inReplyTo?: string | null;
  references?: string[];
  /**
   * Files to attach (e.g. those of a technician's relayed reply), read from storage by the
   * caller on every attempt. Names are cleaned again here; total at most MAX_OUTBOUND_ATTACHMENT_BYTES.
   */
  attachments?: Array<{ filename: string; content: Buffer; contentType: string }>;
  /**
   * Extra informative headers: only `X-Mspflow-*`, `Importance` and `X-Priority`, one line each
   * (threading, Auto-Submitted and the rest are the gateway's own).
   */
  extraHeaders?: Record<string, string>;
  /** Display name for From (the address is always the support address), e.g. "Alice (ACME Support)". */
  fromName?: string;
}

/** Largest total size of the files attached to one outbound mail (most servers refuse above ~25 MB once encoded). */
export const MAX_OUTBOUND_ATTACHMENT_BYTES = 18 * 1024 * 1024;

export type SendStatus = 'sent' | 'already-sent' | 'suppressed' | 'over-budget' | 'failed';

export interface SendOutcome {
  status: SendStatus;
  /** Our Message-ID (with angle brackets): the same on every retry of the key. */
  messageId: string;
  /** OutboundMail row id. */
  outboundId: string;
  /** For 'failed': the server's refusal. */
  error?: string;
}

export interface MailGateway {
  /**
   * Renders and sends one mail, recorded in OutboundMail under its idempotency key.
   * Throws OperationalError when the SMTP server is unreachable or answers 4xx (retry later:
   * the row stays SENDING and the retry reuses its Message-ID); a permanent 5xx refusal is
   * recorded and returned as 'failed', never retried.
   */
  send<T extends MailTemplate>(req: SendMailRequest<T>): Promise<SendOutcome>;
  /** Renders without sending or recording (previews, tests). */
  render<T extends MailTemplate>(template: T, locale: string | null | undefined, data: TemplateData[T]): RenderedMail;
  close(): void;
}

export interface RenderedMail {
  locale: MailLocale;
  subject: string;
  html: string;
  text: string;
}
