import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from './errors';
import { KEY_FORMAT_HINT, parseKey } from './secrets/key-material';

/**
 * The one place that reads process.env. Every key is documented here; `npm run config:doc`
 * prints the table that the README carries, and a test keeps the two in step.
 */

/** Testing only (CRASH_AT): where a process may be told to die like a power cut. */
export const CRASH_POINTS = [
  'none',
  'before-ticket-commit',
  'after-ticket-commit',
  'before-notification-send',
  'after-notification-recorded',
  'after-mail-smtp-accepted',
  'after-report-mail-sent',
  'after-report-send-recorded',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(1).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

export const configKeys = {
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level.'),
  LOG_FORMAT: z
    .enum(['auto', 'json', 'pretty'])
    .default('auto')
    .describe('`auto`: pretty on a terminal, JSON otherwise.'),
  DATA_DIR: z
    .string()
    .default('./data')
    .describe('Where the embedded PostgreSQL and Temporal dev server keep their data.'),
  CACHE_DIR: z
    .string()
    .default(path.join(os.homedir(), '.cache', 'mspflow'))
    .describe('Cache outside the repository for downloaded tools (the Temporal CLI).'),
  API_HOST: z.string().default('127.0.0.1').describe('Interface the HTTP API listens on.'),
  API_PORT: port.default(3000).describe('Port of the HTTP API (OpenAPI docs at /docs).'),
  RUN_API: bool.default(true).describe('Run the HTTP API in this process.'),
  RUN_WORKER: bool.default(true).describe('Run the Temporal worker in this process.'),
  DATABASE_URL: optionalString
    .refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), 'must start with postgresql://')
    .describe(
    'PostgreSQL URL. Unset: mspflow starts an embedded PostgreSQL under DATA_DIR.',
  ),
  SHADOW_DATABASE_URL: optionalString.describe(
    'Disposable database that `npm run db:migration` replays migrations into (it is wiped). Unset: a temporary one is created.',
  ),
  EMBEDDED_PG_PORT: port.default(5433).describe('Port of the embedded PostgreSQL (loopback only).'),
  MIGRATE_ON_START: bool.default(true).describe('Apply pending database migrations at start-up.'),
  TEMPORAL_ADDRESS: optionalString.describe(
    'host:port of a Temporal frontend. Unset: mspflow starts `temporal server start-dev` with its data under DATA_DIR.',
  ),
  TEMPORAL_NAMESPACE: z.string().default('default').describe('Temporal namespace.'),
  TEMPORAL_TASK_QUEUE: z.string().default('mspflow').describe('Task queue of the mspflow worker.'),
  TEMPORAL_MAX_CACHED_WORKFLOWS: z.coerce
    .number()
    .int()
    .min(0)
    .default(1000)
    .describe(
      'Workflows the worker keeps in memory between tasks (0: none). Each costs about 0.7 MB of RSS (bench:sla); one not cached is replayed from its history when it next wakes up.',
    ),
  TEMPORAL_API_KEY: optionalString.describe('API key for Temporal Cloud or a secured server (implies TLS).'),
  TEMPORAL_TLS: bool.default(false).describe('Connect to Temporal over TLS.'),
  TEMPORAL_TLS_CA_PATH: optionalString.describe('PEM file of the CA that signed the Temporal server certificate.'),
  TEMPORAL_TLS_CERT_PATH: optionalString.describe('PEM client certificate for mTLS (with TEMPORAL_TLS_KEY_PATH).'),
  TEMPORAL_TLS_KEY_PATH: optionalString.describe('PEM client key for mTLS (with TEMPORAL_TLS_CERT_PATH).'),
  TEMPORAL_TLS_SERVER_NAME: optionalString.describe('Override of the TLS server name checked on the Temporal certificate.'),
  TEMPORAL_DEV_PORT: port.default(7233).describe('Frontend port of the embedded Temporal dev server.'),
  TEMPORAL_UI_PORT: port.default(8233).describe('Web UI port of the embedded Temporal dev server.'),
  TEMPORAL_CLI_PATH: optionalString.describe('Use this Temporal CLI binary instead of finding or installing one.'),
  SMTP_HOST: optionalString.describe('Outgoing mail server. Unset: no email notifications (webhook channels still work).'),
  SMTP_PORT: port.default(587).describe('Outgoing mail server port.'),
  SMTP_SECURE: bool.default(false).describe('Implicit TLS to the mail server (port 465); otherwise STARTTLS when offered.'),
  SMTP_USER: optionalString.describe('Mail server login, if it requires one.'),
  SMTP_PASSWORD: optionalString.describe('Mail server password (with SMTP_USER).'),
  MAIL_FROM: z.string().default('mspflow <support@mspflow.local>').describe('From address of the mail mspflow sends.'),
  MAIL_DOMAIN: z
    .string()
    .default('mspflow.local')
    .describe('Domain of the Message-IDs mspflow generates (normally the MSP\'s mail domain).'),
  MAIL_SUPPORT_ADDRESS: optionalString
    .refine((v) => v === undefined || /^[^\s<>@,;"+]+@[^\s<>@,;"]+$/.test(v), 'must be a plain address without "+"')
    .describe(
      'Support address clients write to; replies come back to support+<token>@ its domain. Unset: the address in MAIL_FROM.',
    ),
  MAIL_STAFF_LOCALE: z
    .enum(['fr', 'en'])
    .default('en')
    .describe('Language of the mail sent to staff (SLA notifications); clients get their own language.'),
  MAIL_REPLY_SECRET: optionalString
    .refine((v) => v === undefined || v.length >= 32, 'must be at least 32 characters')
    .describe(
      'Server secret that signs reply tokens (Message-IDs, Reply-To). Unset: a random one is generated once and kept in DATA_DIR/mail-reply.secret.',
    ),
  MAIL_REPLY_PREVIOUS_SECRETS: optionalString.describe(
    'Comma-separated former MAIL_REPLY_SECRET values, still accepted when verifying (secret rotation).',
  ),
  SECRETS_KEY: optionalString
    .refine((v) => v === undefined || parseKey(v) !== null, KEY_FORMAT_HINT)
    .describe(
      'Key (32 bytes, hex or base64) that encrypts secrets stored in the database (IMAP passwords, AES-256-GCM). Unset: one is generated once into DATA_DIR/secrets.key; back that file up, without it stored passwords must be entered again.',
    ),
  SECRETS_PREVIOUS_KEYS: optionalString
    .refine((v) => v === undefined || v.split(',').map((k) => k.trim()).filter(Boolean).every((k) => parseKey(k) !== null), `each ${KEY_FORMAT_HINT}`)
    .describe(
      'Comma-separated former SECRETS_KEY values, still accepted for decryption (key rotation); the worker re-encrypts under SECRETS_KEY at start.',
    ),
  MAIL_AUTO_BUDGET: z.coerce
    .number()
    .int()
    .min(1)
    .default(5)
    .describe('Automatic mails (acknowledgements, rejections, explanations) one address may receive per budget window.'),
  MAIL_AUTO_BUDGET_WINDOW_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(60)
    .describe('Sliding window of MAIL_AUTO_BUDGET, in minutes.'),
  MAIL_SUPPRESSION_DAYS: z.coerce
    .number()
    .min(0)
    .default(7)
    .describe('How long an address that bounced gets no automatic mail (0: never suppress).'),
  MAIL_SEND_LEASE_MS: z.coerce
    .number()
    .int()
    .min(10_000)
    .default(120_000)
    .describe(
      'How long a mail being handed to SMTP belongs to the worker sending it; a worker that died mid-send is taken over only after that. Must exceed the longest SMTP transaction (socket timeout 60 s).',
    ),
  MAIL_MAX_MESSAGE_MB: z.coerce
    .number()
    .positive()
    .default(25)
    .describe('Largest inbound message accepted; a bigger one is answered politely and not turned into a ticket.'),
  MAIL_ATTACHMENT_MAX_MB: z.coerce.number().positive().default(20).describe('Largest attachment kept from an inbound message.'),
  MAIL_ATTACHMENT_MAX_COUNT: z.coerce
    .number()
    .int()
    .min(0)
    .default(20)
    .describe('Most attachments (inline images included) kept from one inbound message; the rest are listed as refused.'),
  RUN_MAIL_INTAKE: bool
    .default(true)
    .describe('Run the IMAP intake (every enabled Mailbox) in the worker process (needs RUN_WORKER).'),
  MAIL_UNKNOWN_SENDER: z
    .enum(['create-contact', 'hold', 'reject'])
    .default('hold')
    .describe(
      'Mail from an address that is no contact and whose domain is no client\'s: `create-contact` (ticket under the "triage" client), `hold` (kept in the triage queue, GET /mail/inbound?status=HELD) or `reject` (polite answer). A mailbox can override it.',
    ),
  MAIL_RECONCILE_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(60)
    .describe('The intake re-reads each mailbox this often even without IDLE news, and reconnects after errors with backoff.'),
  MAIL_INTAKE_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(32)
    .default(4)
    .describe('Inbound messages processed at once per mailbox (one sender\'s messages always in order).'),
  MAIL_INTAKE_BATCH: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(8)
    .describe(
      'Inbound messages (of different senders) processed in one database transaction at most, when mail queues up; 1 gives every message its own transaction. A failure inside a batch re-runs its messages one by one.',
    ),
  MAIL_INTAKE_THREADS: z.coerce
    .number()
    .int()
    .min(0)
    .max(16)
    .default(0)
    .describe(
      'Worker threads that process inbound mail (MIME parsing, reply extraction, the ticket transaction), shared by all mailboxes; 0 processes in the worker\'s own event loop. Worth it on machines with cores to spare (see bench:email).',
    ),
  NOTIFY_ALLOW_PRIVATE_TARGETS: bool
    .default(false)
    .describe('Let webhook notifications go to loopback/private addresses (single-host setups, tests). Off: SSRF guard.'),
  MESHCENTRAL_URL: optionalString
    .refine((v) => v === undefined || /^wss?:\/\//.test(v), 'must start with wss://')
    .describe('MeshCentral server (wss://host:port). Unset: no MeshCentral adapter.'),
  MESHCENTRAL_USER: optionalString.describe('MeshCentral login (a login token user `~t:...` works too).'),
  MESHCENTRAL_PASSWORD: optionalString.describe('MeshCentral password or login token password.'),
  MESHCENTRAL_TLS_HASH: optionalString.describe(
    'SHA-384 (hex) of the MeshCentral TLS certificate to pin (its self-signed cert has no CA). Unset: any certificate.',
  ),
  TACTICAL_URL: optionalString
    .refine((v) => v === undefined || /^https?:\/\//.test(v), 'must start with https://')
    .describe('Tactical RMM API base URL (https://api.example). Unset: no Tactical RMM adapter.'),
  TACTICAL_API_KEY: optionalString.describe('Tactical RMM API key (sent as X-API-KEY).'),
  RMM_SIMULATOR_FLEET: optionalString
    .refine((v) => v === undefined || /^[a-z0-9-]+:\d+(,[a-z0-9-]+:\d+)*$/.test(v), 'must look like group:count,group:count')
    .describe('SIMULATED devices for demos and load tests, e.g. `acme:200,globex:50`. Unset: no simulator.'),
  OUTBOX_POLL_MS: z.coerce
    .number()
    .int()
    .min(50)
    .default(1000)
    .describe('How often the outbox dispatcher looks for effects (workflow starts) not yet done.'),
  NOTIFY_LEASE_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(120_000)
    .describe(
      'How long a notification being sent counts as in flight before another attempt may take it over. Must exceed the longest send (HTTP/SMTP timeouts).',
    ),
  // ---- monthly reports (issue 7 part B)
  REPORTS_SCHEDULE_HOUR: z.coerce
    .number()
    .int()
    .min(0)
    .max(23)
    .default(7)
    .describe('Local hour (client time zone) at which the monthly report schedule fires on days 1-7; the workflow runs on the first business day.'),
  REPORTS_INTERNAL_TO: optionalString.describe(
    'Comma-separated staff addresses that get the MSP-internal report (with revenue). Unset: every active administrator.',
  ),
  CHROMIUM_PATH: optionalString.describe('Headless Chromium used to print report PDFs. Unset: `chromium` or `chromium-browser` on the PATH.'),
  REPORTS_PDF_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(16)
    .default(2)
    .describe('Report PDFs printed at once (tabs of the one shared Chromium).'),
  // ---- billing (issue 7)
  BILLING_REST_URL: optionalString
    .refine((v) => v === undefined || /^https?:\/\//.test(v), 'must start with http:// or https://')
    .describe('Base URL of the external invoicing system (generic REST invoice API, see README). Unset: invoice drafts cannot be pushed.'),
  BILLING_REST_TOKEN: optionalString.describe('API token sent to the invoicing system as X-Api-Token.'),
  BILLING_REST_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000).describe('Timeout of one request to the invoicing system.'),
  CRASH_AT: z
    .enum(CRASH_POINTS)
    .default('none')
    .describe('Testing only: kill this process with SIGKILL at the named point, to prove recovery.'),
} as const;

const schema = z
  .object(configKeys)
  .superRefine((c, ctx) => {
    if (Boolean(c.TEMPORAL_TLS_CERT_PATH) !== Boolean(c.TEMPORAL_TLS_KEY_PATH)) {
      ctx.addIssue({
        code: 'custom',
        path: ['TEMPORAL_TLS_CERT_PATH'],
        message: 'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together',
      });
    }
    if (c.SMTP_PASSWORD && !c.SMTP_USER) {
      ctx.addIssue({ code: 'custom', path: ['SMTP_PASSWORD'], message: 'SMTP_PASSWORD needs SMTP_USER' });
    }
    if (c.MESHCENTRAL_URL && (!c.MESHCENTRAL_USER || !c.MESHCENTRAL_PASSWORD)) {
      ctx.addIssue({ code: 'custom', path: ['MESHCENTRAL_USER'], message: 'MESHCENTRAL_URL needs MESHCENTRAL_USER and MESHCENTRAL_PASSWORD' });
    }
    if (c.TACTICAL_URL && !c.TACTICAL_API_KEY) {
      ctx.addIssue({ code: 'custom', path: ['TACTICAL_API_KEY'], message: 'TACTICAL_URL needs TACTICAL_API_KEY' });
    }
    if (c.BILLING_REST_URL && !c.BILLING_REST_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['BILLING_REST_TOKEN'], message: 'BILLING_REST_URL needs BILLING_REST_TOKEN' });
    }
    if (!c.RUN_API && !c.RUN_WORKER) {
      ctx.addIssue({ code: 'custom', path: ['RUN_API'], message: 'RUN_API and RUN_WORKER cannot both be false' });
    }
  });

export interface Config {
  log: { level: string; format: 'auto' | 'json' | 'pretty' };
  dataDir: string;
  cacheDir: string;
  api: { enabled: boolean; host: string; port: number };
  worker: { enabled: boolean };
  database: { url: string | undefined; shadowUrl: string | undefined; embeddedPort: number; migrateOnStart: boolean };
  temporal: {
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    maxCachedWorkflows: number;
    apiKey: string | undefined;
    tls:
      | false
      | { caPath?: string; certPath?: string; keyPath?: string; serverName?: string };
    dev: { port: number; uiPort: number; cliPath: string | undefined };
  };
  mail: {
    smtp: { host: string; port: number; secure: boolean; auth?: { user: string; pass: string } } | undefined;
    from: string;
    domain: string;
    /** Plain support address (no "+"): the base of the plus-addressed Reply-To. */
    supportAddress: string;
    staffLocale: 'fr' | 'en';
    /** Set MAIL_REPLY_SECRET, or undefined: resolveReplySecrets() then uses the generated one. */
    replySecret: string | undefined;
    previousReplySecrets: string[];
    autoBudget: { count: number; windowMinutes: number };
    suppressionDays: number;
    sendLeaseMs: number;
    maxMessageBytes: number;
    attachments: { maxBytes: number; maxCount: number };
  };
  /** Keys of the secrets stored in the database (lib/secrets); see resolveSecretKeyring(). */
  secrets: { key: string | undefined; previousKeys: string[] };
  intake: {
    enabled: boolean;
    unknownSenders: 'CREATE_CONTACT' | 'HOLD' | 'REJECT';
    reconcileMs: number;
    concurrency: number;
    batchSize: number;
    threads: number;
  };
  notify: { allowPrivateTargets: boolean; leaseMs: number };
  rmm: {
    meshcentral: { url: string; user: string; password: string; tlsCertHash?: string } | undefined;
    tactical: { url: string; apiKey: string } | undefined;
    simulatorFleet: Array<{ group: string; devices: number }> | undefined;
  };
  outboxPollMs: number;
  reports: { scheduleHour: number; internalTo: string[] | undefined; chromiumPath: string | undefined; pdfConcurrency: number };
  /** External invoicing system for invoice drafts (billing port); undefined: not configured. */
  billing: { rest?: { url: string; token: string; timeoutMs: number } };
  crashAt: CrashPoint;
}

export class ConfigError extends UserError {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Validates the environment; throws ConfigError listing every bad key at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(configKeys)) raw[key] = env[key] === '' ? undefined : env[key];
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${String(i.path[0] ?? '?')}: ${i.message} (got ${JSON.stringify(raw[String(i.path[0])])})`),
    );
  }
  const c = parsed.data;
  const tlsWanted = c.TEMPORAL_TLS || Boolean(c.TEMPORAL_API_KEY) || Boolean(c.TEMPORAL_TLS_CERT_PATH);
  return {
    log: { level: c.LOG_LEVEL, format: c.LOG_FORMAT },
    dataDir: path.resolve(c.DATA_DIR),
    cacheDir: path.resolve(c.CACHE_DIR),
    api: { enabled: c.RUN_API, host: c.API_HOST, port: c.API_PORT },
    worker: { enabled: c.RUN_WORKER },
    database: { url: c.DATABASE_URL, shadowUrl: c.SHADOW_DATABASE_URL, embeddedPort: c.EMBEDDED_PG_PORT, migrateOnStart: c.MIGRATE_ON_START },
    temporal: {
      address: c.TEMPORAL_ADDRESS,
      namespace: c.TEMPORAL_NAMESPACE,
      taskQueue: c.TEMPORAL_TASK_QUEUE,
      maxCachedWorkflows: c.TEMPORAL_MAX_CACHED_WORKFLOWS,
      apiKey: c.TEMPORAL_API_KEY,
      tls: tlsWanted
        ? {
            caPath: c.TEMPORAL_TLS_CA_PATH,
            certPath: c.TEMPORAL_TLS_CERT_PATH,
            keyPath: c.TEMPORAL_TLS_KEY_PATH,
            serverName: c.TEMPORAL_TLS_SERVER_NAME,
          }
        : false,
      dev: { port: c.TEMPORAL_DEV_PORT, uiPort: c.TEMPORAL_UI_PORT, cliPath: c.TEMPORAL_CLI_PATH },
    },
    mail: {
      smtp: c.SMTP_HOST
        ? {
            host: c.SMTP_HOST,
            port: c.SMTP_PORT,
            secure: c.SMTP_SECURE,
            auth: c.SMTP_USER ? { user: c.SMTP_USER, pass: c.SMTP_PASSWORD ?? '' } : undefined,
          }
        : undefined,
      from: c.MAIL_FROM,
      domain: c.MAIL_DOMAIN,
      supportAddress: (c.MAIL_SUPPORT_ADDRESS ?? addressOfMailFrom(c.MAIL_FROM)).toLowerCase(),
      staffLocale: c.MAIL_STAFF_LOCALE,
      replySecret: c.MAIL_REPLY_SECRET,
      previousReplySecrets: (c.MAIL_REPLY_PREVIOUS_SECRETS ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
      autoBudget: { count: c.MAIL_AUTO_BUDGET, windowMinutes: c.MAIL_AUTO_BUDGET_WINDOW_MINUTES },
      suppressionDays: c.MAIL_SUPPRESSION_DAYS,
      sendLeaseMs: c.MAIL_SEND_LEASE_MS,
      maxMessageBytes: Math.round(c.MAIL_MAX_MESSAGE_MB * 1024 * 1024),
      attachments: { maxBytes: Math.round(c.MAIL_ATTACHMENT_MAX_MB * 1024 * 1024), maxCount: c.MAIL_ATTACHMENT_MAX_COUNT },
    },
    secrets: {
      key: c.SECRETS_KEY,
      previousKeys: (c.SECRETS_PREVIOUS_KEYS ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    },
    intake: {
      enabled: c.RUN_MAIL_INTAKE,
      unknownSenders: c.MAIL_UNKNOWN_SENDER === 'create-contact' ? 'CREATE_CONTACT' : c.MAIL_UNKNOWN_SENDER === 'reject' ? 'REJECT' : 'HOLD',
      reconcileMs: c.MAIL_RECONCILE_SECONDS * 1000,
      concurrency: c.MAIL_INTAKE_CONCURRENCY,
      batchSize: c.MAIL_INTAKE_BATCH,
      threads: c.MAIL_INTAKE_THREADS,
    },
    notify: { allowPrivateTargets: c.NOTIFY_ALLOW_PRIVATE_TARGETS, leaseMs: c.NOTIFY_LEASE_MS },
    rmm: {
      meshcentral: c.MESHCENTRAL_URL
        ? { url: c.MESHCENTRAL_URL, user: c.MESHCENTRAL_USER!, password: c.MESHCENTRAL_PASSWORD!, tlsCertHash: c.MESHCENTRAL_TLS_HASH }
        : undefined,
      tactical: c.TACTICAL_URL ? { url: c.TACTICAL_URL, apiKey: c.TACTICAL_API_KEY! } : undefined,
      simulatorFleet: c.RMM_SIMULATOR_FLEET?.split(',').map((g) => {
        const [group, count] = g.split(':');
        return { group, devices: Number(count) };
      }),
    },
    outboxPollMs: c.OUTBOX_POLL_MS,
    reports: {
      scheduleHour: c.REPORTS_SCHEDULE_HOUR,
      internalTo: c.REPORTS_INTERNAL_TO?.split(',').map((a) => a.trim().toLowerCase()).filter(Boolean),
      chromiumPath: c.CHROMIUM_PATH,
      pdfConcurrency: c.REPORTS_PDF_CONCURRENCY,
    },
    billing: { rest: c.BILLING_REST_URL ? { url: c.BILLING_REST_URL, token: c.BILLING_REST_TOKEN!, timeoutMs: c.BILLING_REST_TIMEOUT_MS } : undefined },
    crashAt: c.CRASH_AT,
  };
}

/** The bare address of a From value such as `"Name" <a@b>` or `a@b`. */
function addressOfMailFrom(from: string): string {
  const m = /<([^<>]+)>\s*$/.exec(from);
  return (m ? m[1] : from).trim();
}

/** Markdown table of every key, its default and meaning (for the README). */
export function configTable(): string {
  const rows = Object.entries(configKeys).map(([key, s]) => {
    const def = (s as z.ZodType).safeParse(undefined);
    const shown = def.success && def.data !== undefined ? `\`${String(def.data)}\`` : '(unset)';
    const dflt = key === 'CACHE_DIR' ? '`~/.cache/mspflow`' : shown;
    return `| \`${key}\` | ${dflt} | ${(s as z.ZodType).description ?? ''} |`;
  });
  return ['| Variable | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}
