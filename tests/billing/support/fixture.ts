import crypto from 'node:crypto';
import { systemActor } from '../../../lib/access';
import type { PrismaClient } from '../../../lib/db/prisma';
import { createBillingContract, type BillingContractInput } from '../../../activities/billing/contract-service';

export const system = systemActor('test');

/** A client with a contact (optionally in a subsidiary), a technician and a ticket factory. */
export async function billingFixture(prisma: PrismaClient, opts: { code?: string } = {}) {
  const tag = crypto.randomBytes(3).toString('hex');
  const client = await prisma.client.create({ data: { code: opts.code ?? `bill-${tag}`, name: `Billing ${tag}` } });
  const contact = await prisma.contact.create({ data: { clientId: client.id, email: `alice-${tag}@client.test`, name: 'Alice', subsidiary: 'Lyon' } });
  const contact2 = await prisma.contact.create({ data: { clientId: client.id, email: `bob-${tag}@client.test`, name: 'Bob' } });
  const tech = await prisma.user.create({ data: { email: `tech-${tag}@msp.test`, name: 'Tina Tech', role: 'TECHNICIAN' } });
  const ticket = (subject: string, data: { category?: string; contactId?: string } = {}) =>
    prisma.ticket.create({ data: { clientId: client.id, subject, source: 'API', category: data.category, contactId: data.contactId ?? contact.id } });
  const contract = (input: Omit<BillingContractInput, 'clientId'>) => createBillingContract({ prisma }, system, { ...input, clientId: client.id });
  return { client, contact, contact2, tech, ticket, contract, tag };
}

export const at = (iso: string) => new Date(iso);
