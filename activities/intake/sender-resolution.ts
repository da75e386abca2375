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
  const [contact, staff] = await Promise.all([
    tx.contact.findUnique({ where: { email }, select: { id: true, clientId: true, name: true, locale: true } }),
    tx.user.findFirst({ where: { email, active: true, role: { in: ['TECHNICIAN', 'ADMIN'] } }, select: { id: true, role: true, name: true } }),
  ]);
  let clientId = contact?.clientId ?? null;
  if (!clientId) {
    const domain = email.split('@')[1] ?? '';
    const owner = domain ? await tx.clientDomain.findUnique({ where: { domain }, select: { clientId: true } }) : null;
    clientId = owner?.clientId ?? null;
  }
  return { address: email, contact, clientId, staff };
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
