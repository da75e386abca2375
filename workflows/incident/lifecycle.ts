/**
 * The incident state machine: which status may follow which. Pure; the workflow validates every
 * requested change here before accepting it, so an invalid one is refused with a reason rather
 * than silently ignored.
 */
export const TICKET_STATUSES = ['NEW', 'ACKNOWLEDGED', 'IN_PROGRESS', 'WAITING_ON_CLIENT', 'RESOLVED', 'CLOSED'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

const NEXT: Record<TicketStatus, readonly TicketStatus[]> = {
  NEW: ['ACKNOWLEDGED', 'IN_PROGRESS', 'WAITING_ON_CLIENT', 'RESOLVED'],
  ACKNOWLEDGED: ['IN_PROGRESS', 'WAITING_ON_CLIENT', 'RESOLVED'],
  IN_PROGRESS: ['WAITING_ON_CLIENT', 'RESOLVED'],
  WAITING_ON_CLIENT: ['IN_PROGRESS', 'RESOLVED'],
  // Reopening a resolved ticket puts it back in progress; closing ends it.
  RESOLVED: ['IN_PROGRESS', 'CLOSED'],
  // A closed ticket can only be reopened (within the reopen window), never edited otherwise.
  CLOSED: ['IN_PROGRESS'],
};

export function allowedNext(from: TicketStatus): readonly TicketStatus[] {
  return NEXT[from];
}

/** null when the change is allowed, else the reason it is not. */
export function transitionError(from: TicketStatus, to: TicketStatus): string | null {
  if (!TICKET_STATUSES.includes(to)) return `unknown status "${to}"`;
  if (from === to) return `the ticket is already ${to}`;
  if (!NEXT[from].includes(to)) {
    return `cannot go from ${from} to ${to}; allowed next: ${NEXT[from].join(', ') || 'none'}`;
  }
  return null;
}

/** Leaving NEW (or a technician's public reply) is the first response. */
export function isFirstResponse(from: TicketStatus, to: TicketStatus): boolean {
  return from === 'NEW' && to !== 'NEW';
}
