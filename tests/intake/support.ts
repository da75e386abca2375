import crypto from 'node:crypto';
import type { PrismaClient } from '../../lib/db/prisma';
import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { intakeRulesFrom, MailIntake } from '../../activities/intake/mail-intake';
import { resolveSecretKeyring } from '../../lib/secrets/secret-box';
import type { MailServers } from '../support/mail-servers';

export const SUPPORT = 'support@example.test';

export interface RawMailOptions {
  from: string;
  to?: string;
  cc?: string;
  subject?: string;
  body?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  /** Full replacement for the body part, with its own Content-Type header lines. */
  mime?: { contentType: string; body: string };
}

export const newMessageId = (domain = 'client.test') => `<${crypto.randomUUID()}@${domain}>`;

/** A real RFC 822 message, CRLF line ends. */
export function rawMail(o: RawMailOptions): string {
  const lines = [
    `From: ${o.from}`,
    `To: ${o.to ?? SUPPORT}`,
    ...(o.cc ? [`Cc: ${o.cc}`] : []),
    `Subject: ${o.subject ?? 'Hello'}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${o.messageId ?? newMessageId()}`,
    ...(o.inReplyTo ? [`In-Reply-To: ${o.inReplyTo}`] : []),
    ...(o.references?.length ? [`References: ${o.references.join(' ')}`] : []),
    ...Object.entries(o.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    'MIME-Version: 1.0',
    `Content-Type: ${o.mime?.contentType ?? 'text/plain; charset=utf-8'}`,
    '',
    o.mime?.body ?? o.body ?? 'Hello support',
  ];
  return lines.join('\r\n') + '\r\n';
}

export async function createMailbox(prisma: PrismaClient, servers: MailServers, extra: Partial<{ processedFolder: string | null; quarantineFolder: string | null; unknownSenders: 'CREATE_CONTACT' | 'HOLD' | 'REJECT' }> = {}) {
  const { user, pass } = servers.users[SUPPORT];
  return prisma.mailbox.create({
    data: {
      name: `support-${crypto.randomBytes(3).toString('hex')}`,
      address: SUPPORT,
      imapHost: servers.imap.host,
      imapPort: servers.imap.port,
      imapTls: false,
      imapAllowPlain: true,
      imapUser: user,
      imapPassword: pass,
      processedFolder: 'processed' in extra ? extra.processedFolder : 'Processed',
      quarantineFolder: 'quarantineFolder' in extra ? extra.quarantineFolder : 'Quarantine',
      unknownSenders: extra.unknownSenders,
    },
  });
}

export async function createClientWithContact(prisma: PrismaClient, opts: { code?: string; domain?: string; contact?: string; locale?: string } = {}) {
  const code = opts.code ?? `c${crypto.randomBytes(3).toString('hex')}`;
  const client = await prisma.client.create({
    data: {
      code,
      name: `Client ${code}`,
      locale: opts.locale ?? 'fr',
      domains: opts.domain ? { create: [{ domain: opts.domain }] } : undefined,
      contacts: opts.contact ? { create: [{ email: opts.contact, name: 'Claire Client' }] } : undefined,
    },
    include: { contacts: true },
  });
  return client;
}

export function startIntake(
  prisma: PrismaClient,
  config: Config,
  log: Logger,
  overrides: Partial<{ concurrency: number; batchSize: number; reconcileMs: number; beforeCommit: (messageIds: string[]) => void }> = {},
) {
  const intake = new MailIntake({
    prisma,
    log,
    rules: intakeRulesFrom(config),
    secrets: resolveSecretKeyring(config),
    beforeCommit: overrides.beforeCommit,
    concurrency: overrides.concurrency ?? 4,
    batchSize: overrides.batchSize ?? config.intake.batchSize,
    reconcileMs: overrides.reconcileMs ?? 2000,
    backoffMs: 200,
  });
  return intake;
}

/** Mail test config: reply secret fixed, support address of the test servers. */
export const mailEnv = {
  MAIL_REPLY_SECRET: 'test-secret-test-secret-test-secret-0123456789',
  MAIL_SUPPORT_ADDRESS: SUPPORT,
  MAIL_DOMAIN: 'mspflow.test',
  MAIL_FROM: `Support <${SUPPORT}>`,
  // Fixed, so tests never write a generated key into the repository's ./data.
  SECRETS_KEY: '6d7370666c6f772d746573742d6b65792d6d7370666c6f772d746573742d6b65',
};
