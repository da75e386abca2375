import { authErrors, dateTime, errorRef, nullable, uuid } from '../../schemas/common';

const tags = ['mail intake'];
const policy = { type: 'string', enum: ['CREATE_CONTACT', 'HOLD', 'REJECT'] } as const;
const inboundStatus = { type: 'string', enum: ['STORED', 'PROCESSED', 'QUARANTINED', 'IGNORED', 'HELD', 'REJECTED'] } as const;

/** A mailbox as the API shows it: there is no password property, so none can be serialised. */
export const mailboxSchema = {
  $id: 'Mailbox',
  type: 'object',
  properties: {
    id: uuid,
    name: { type: 'string' },
    address: { type: 'string' },
    imapHost: { type: 'string' },
    imapPort: { type: 'integer' },
    imapTls: { type: 'boolean' },
    imapAllowPlain: { type: 'boolean' },
    imapUser: { type: 'string' },
    folder: { type: 'string' },
    processedFolder: nullable({ type: 'string' }),
    quarantineFolder: nullable({ type: 'string' }),
    unknownSenders: nullable(policy),
    enabled: { type: 'boolean' },
    createdAt: dateTime,
    updatedAt: dateTime,
    syncStates: {
      type: 'array',
      items: {
        type: 'object',
        properties: { folder: { type: 'string' }, uidValidity: { type: 'string' }, lastUid: { type: 'string' }, updatedAt: dateTime },
      },
    },
    backlog: {
      description: 'In listings: what the intake has not finished (waiting: stored, not yet processed) and what needs a human.',
      type: 'object',
      properties: {
        waiting: { type: 'integer' },
        oldestWaitingAt: nullable(dateTime),
        quarantined: { type: 'integer' },
        held: { type: 'integer' },
        lastProcessedAt: nullable(dateTime),
      },
    },
  },
} as const;

export const inboundSchema = {
  $id: 'InboundMessage',
  type: 'object',
  properties: {
    id: uuid,
    mailboxId: uuid,
    folder: { type: 'string' },
    uidValidity: { type: 'string' },
    uid: { type: 'string' },
    messageIdHeader: { type: 'string' },
    fromAddress: { type: 'string' },
    subject: { type: 'string' },
    size: { type: 'integer' },
    status: inboundStatus,
    outcome: nullable({ type: 'string' }),
    error: nullable({ type: 'string' }),
    attempts: { type: 'integer' },
    clientId: nullable(uuid),
    ticketId: nullable({ type: 'integer' }),
    receivedAt: dateTime,
    processedAt: nullable(dateTime),
    serverDoneAt: nullable(dateTime),
  },
} as const;

const mailboxBody = {
  name: { type: 'string', minLength: 1, maxLength: 100 },
  address: { type: 'string', format: 'email', maxLength: 320 },
  imapHost: { type: 'string', minLength: 1, maxLength: 255 },
  imapPort: { type: 'integer', minimum: 1, maximum: 65535 },
  imapTls: { type: 'boolean', description: 'Implicit TLS (993). false: STARTTLS, required unless imapAllowPlain' },
  imapAllowPlain: { type: 'boolean', description: 'Allow an unencrypted connection (loopback servers only)' },
  imapUser: { type: 'string', minLength: 1, maxLength: 320 },
  imapPassword: { type: 'string', minLength: 1, maxLength: 1000, description: 'Write-only' },
  folder: { type: 'string', minLength: 1, maxLength: 200 },
  processedFolder: nullable({ type: 'string', minLength: 1, maxLength: 200 }),
  quarantineFolder: nullable({ type: 'string', minLength: 1, maxLength: 200 }),
  unknownSenders: nullable(policy),
  enabled: { type: 'boolean' },
} as const;

export const createMailboxSchema = {
  summary: 'Add an IMAP mailbox to the intake (the worker picks it up at its next reconcile)',
  tags,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'address', 'imapHost', 'imapPort', 'imapTls', 'imapUser', 'imapPassword'],
    properties: mailboxBody,
  },
  response: { 201: { $ref: 'Mailbox#' }, 400: errorRef, 409: errorRef, ...authErrors },
} as const;

export const updateMailboxSchema = {
  summary: 'Change a mailbox (e.g. disable it, rotate its password)',
  tags,
  params: { type: 'object', required: ['id'], properties: { id: uuid } },
  body: { type: 'object', additionalProperties: false, minProperties: 1, properties: mailboxBody },
  response: { 200: { $ref: 'Mailbox#' }, 400: errorRef, 404: errorRef, ...authErrors },
} as const;

export const listMailboxesSchema = {
  summary: 'Mailboxes of the intake, with their sync checkpoints and backlog (passwords are never returned)',
  tags,
  response: { 200: { type: 'object', properties: { items: { type: 'array', items: { $ref: 'Mailbox#' } } } }, ...authErrors },
} as const;

export const listInboundSchema = {
  summary: 'The mail ledger: quarantined and held (triage) messages by default, newest first',
  tags,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      status: inboundStatus,
      mailboxId: uuid,
      before: dateTime,
      limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
    },
  },
  response: { 200: { type: 'object', properties: { items: { type: 'array', items: { $ref: 'InboundMessage#' } } } }, 400: errorRef, ...authErrors },
} as const;

export const inboundRawSchema = {
  summary: 'The original message, byte for byte, as a download (message/rfc822)',
  tags,
  params: { type: 'object', required: ['id'], properties: { id: uuid } },
  response: { 404: errorRef, ...authErrors },
} as const;

export const retryInboundSchema = {
  summary: 'Process a quarantined or held message again; clientId files a held sender as a contact of that client first',
  tags,
  params: { type: 'object', required: ['id'], properties: { id: uuid } },
  body: { type: 'object', additionalProperties: false, properties: { clientId: uuid } },
  response: { 202: { $ref: 'InboundMessage#' }, 404: errorRef, 409: errorRef, ...authErrors },
} as const;
