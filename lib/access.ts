import { ForbiddenError } from './errors';

export type Role = 'ADMIN' | 'ONBOARDING_MANAGER' | 'TECHNICIAN';

/**
 * Who is acting. Business actions take an Actor so tenant checks happen in one place whether
 * the call comes from the API (a user), email intake or a workflow (the system).
 */
export type Actor =
  | { kind: 'user'; userId: string; role: Role; clientIds: 'all' | string[] }
  | { kind: 'system'; component: string };

export const systemActor = (component: string): Actor => ({ kind: 'system', component });

export function canAccessClient(actor: Actor, clientId: string): boolean {
  if (actor.kind === 'system') return true;
  if (actor.role === 'ADMIN' || actor.clientIds === 'all') return true;
  return actor.clientIds.includes(clientId);
}

export function assertClientAccess(actor: Actor, clientId: string): void {
  if (!canAccessClient(actor, clientId)) throw new ForbiddenError('You do not have access to this client');
}

/** A Prisma `where` fragment restricting rows to the clients the actor may see. */
export function clientScope(actor: Actor): { clientId?: { in: string[] } } {
  if (actor.kind === 'system' || actor.role === 'ADMIN' || actor.clientIds === 'all') return {};
  return { clientId: { in: actor.clientIds } };
}
