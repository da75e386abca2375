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

/**
 * Several senders in ONE round trip (contacts, staff and client domains at once): this runs for
 * every inbound message, and a batch of messages asks once. Keyed by the lower-cased address.
 */
export async function identifySenders(tx: Tx, addresses: string[]): Promise<Map<string, SenderIdentity>> {
  const emails = [...new Set(addresses.map((a) => a.toLowerCase()))];
  const domains = [...new Set(emails.map((e) => e.split('@')[1] ?? ''))];
  const rows = await tx.$queryRaw<Array<{ kind: 'contact' | 'staff' | 'domain'; key: string; id: string | null; clientId: string | null; name: string | null; locale: string | null; role: string | null }>>`
    SELECT 'contact' AS kind, c.email AS key, c.id::text AS id, c."clientId"::text AS "clientId", c.name, c.locale, NULL::text AS role
      FROM "Contact" c WHERE c.email = ANY(${emails}::text[])
    UNION ALL
    SELECT 'staff', u.email, u.id::text, NULL, u.name, NULL, u.role::text
      FROM "User" u WHERE u.email = ANY(${emails}::text[]) AND u.active AND u.role IN ('TECHNICIAN', 'ADMIN')
    UNION ALL
    SELECT 'domain', d.domain, NULL, d."clientId"::text, NULL, NULL, NULL
      FROM "ClientDomain" d WHERE d.domain = ANY(${domains}::text[])`;
  const find = (kind: string, key: string) => rows.find((r) => r.kind === kind && r.key === key);
  return new Map(
    emails.map((email) => {
      const c = find('contact', email);
      const u = find('staff', email);
      const d = find('domain', email.split('@')[1] ?? '');
      const contact = c ? { id: c.id!, clientId: c.clientId!, name: c.name!, locale: c.locale } : null;
      const identity: SenderIdentity = {
        address: email,
        contact,
        clientId: contact?.clientId ?? d?.clientId ?? null,
        staff: u ? { id: u.id!, role: u.role!, name: u.name! } : null,
      };
      return [email, identity];
    }),
  );
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
