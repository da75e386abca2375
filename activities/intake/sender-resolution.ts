import type { Prisma } from '../../lib/db/prisma';

type Tx = Prisma.TransactionClient;

/**
 * Who a sender address is, by the address alone (a claim: From can be forged). Contacts first,
 * then the client owning the address's domain; staff addresses are reported separately so the
 * caller can demand a signed token before treating a message as a technician's.
 */
export interface SenderIdentity {
  address: string;
  contact: { id: string; clientId: string; name: string; locale: string | null } | null;
  /** The client by contact, else by the address's domain. */
  clientId: string | null;
  staff: { id: string; role: string; name: string } | null;
}

export async function identifySender(tx: Tx, address: string): Promise<SenderIdentity> {
  const email = address.toLowerCase();
  const domain = email.split('@')[1] ?? '';
  // One round trip for the three lookups: this runs for every inbound message.
  const rows = await tx.$queryRaw<Array<{ kind: 'contact' | 'staff' | 'domain'; id: string | null; clientId: string | null; name: string | null; locale: string | null; role: string | null }>>`
    SELECT 'contact' AS kind, c.id::text AS id, c."clientId"::text AS "clientId", c.name, c.locale, NULL::text AS role
      FROM "Contact" c WHERE c.email = ${email}
    UNION ALL
    (SELECT 'staff', u.id::text, NULL, u.name, NULL, u.role::text
      FROM "User" u WHERE u.email = ${email} AND u.active AND u.role IN ('TECHNICIAN', 'ADMIN') LIMIT 1)
    UNION ALL
    SELECT 'domain', NULL, d."clientId"::text, NULL, NULL, NULL
      FROM "ClientDomain" d WHERE d.domain = ${domain}`;
  const c = rows.find((r) => r.kind === 'contact');
  const u = rows.find((r) => r.kind === 'staff');
  const d = rows.find((r) => r.kind === 'domain');
  const contact = c ? { id: c.id!, clientId: c.clientId!, name: c.name!, locale: c.locale } : null;
  return {
    address: email,
    contact,
    clientId: contact?.clientId ?? d?.clientId ?? null,
    staff: u ? { id: u.id!, role: u.role!, name: u.name! } : null,
  };
}

/** A contact for a sender whose domain belongs to a client (created once; a race finds it). */
export async function ensureContact(tx: Tx, clientId: string, address: string, name: string) {
  const email = address.toLowerCase();
  const display = name.trim() || email.split('@')[0];
  await tx.contact.createMany({ data: [{ clientId, email, name: display.slice(0, 200) }], skipDuplicates: true });
  return tx.contact.findUniqueOrThrow({ where: { email }, select: { id: true, clientId: true, name: true, locale: true } });
}

export const TRIAGE_CLIENT_CODE = 'triage';

/** The client that holds tickets from unknown senders until someone files them. */
export async function triageClient(tx: Tx): Promise<string> {
  await tx.client.createMany({ data: [{ code: TRIAGE_CLIENT_CODE, name: 'Triage (unknown senders)' }], skipDuplicates: true });
  return (await tx.client.findUniqueOrThrow({ where: { code: TRIAGE_CLIENT_CODE }, select: { id: true } })).id;
}
