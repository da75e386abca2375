/**
 * The snapshot of a monthly report (stored as JSON in Report.data): every number and the
 * evidence behind it (ticket ids, SLA timeline events, device ids). Rendering reads only this,
 * so a stored report re-renders with the same numbers forever.
 */
export const REPORT_DATA_VERSION = 1;

export type Audience = 'CLIENT' | 'INTERNAL';

export interface Evidence {
  tickets?: number[];
  devices?: string[];
  /** TicketEvent ids (SLA timeline rows). */
  events?: string[];
}

export type ScorecardKey = 'assets' | 'antivirus' | 'osUpdates' | 'thirdPartyUpdates' | 'availability' | 'tickets';

export interface ScorecardItem {
  key: ScorecardKey;
  /** % this month; null: no data (never invented). */
  value: number | null;
  /** % last month (from last month's stored report when there is one, else recomputed), or null. */
  previous: number | null;
  /** How many devices / tickets the % is computed over. */
  basis: number;
  /** Where the number comes from (shown under the scorecard). */
  source: string;
  evidence: Evidence;
}

export interface SlaPriorityRow {
  priority: string;
  /** Tickets opened in the month with this priority. */
  tickets: number;
  /** Resolved or breached by asOf: the tickets whose outcome is known. */
  decided: number;
  met: number;
  breached: number;
  open: number;
  compliance: number | null;
  ticketIds: number[];
  breachedTicketIds: number[];
}

export interface SlaBreach {
  ticketId: number;
  subject: string;
  priority: string;
  clock: string | null;
  breachedAt: string;
  timeline: Array<{ eventId: string; at: string; type: string; detail: string | null }>;
}

export interface TicketSection {
  opened: number;
  closed: number;
  openedIds: number[];
  closedIds: number[];
  incidents: number;
  requests: number;
  incidentIds: number[];
  requestIds: number[];
  byCategory: Array<{ key: string; count: number; ticketIds: number[] }>;
  previous: { opened: number; closed: number };
}

export interface PatchSection {
  devices: number;
  upToDate: number;
  percent: number | null;
  deviceIds: string[];
  upToDateIds: string[];
  failures: Array<{ deviceId: string; hostname: string; rolloutId: string; step: string; reason: string; at: string }>;
}

/**
 * Stored in report snapshots, so it mirrors the billing module's ConsumptionSummary by value
 * rather than importing it: a change there must not change the shape of reports already sent.
 */
export interface ConsumptionSection {
  /** false: no consumption module or no contract; the section says so. */
  available: boolean;
  contracts: Array<{
    contractId: string;
    name: string;
    type: string;
    plannedMinutes: number | null;
    consumedMinutesInPeriod: number;
    consumedMinutesToDate: number;
    remainingMinutes: number | null;
    weekly: Array<{ weekStart: string; minutes: number; averageLine: number | null }>;
  }>;
  byCategory: Array<{ key: string; minutes: number; ticketIds: number[] }>;
  byRequester: Array<{ key: string; minutes: number; ticketIds: number[] }>;
  bySubsidiary: Array<{ key: string; minutes: number; ticketIds: number[] }>;
  byDomain: Array<{ key: string; minutes: number; ticketIds: number[] }>;
  billableMinutes: number;
  nonBillableMinutes: number;
  outOfScopeMinutes: number;
  /** Same month last year: null when there is no time recorded then. */
  lastYear: { month: string; consumedMinutes: number } | null;
}

export interface InternalSection {
  revenueCents: number;
  /** Monthly recurring revenue: fixed monthly fees of the client's active contracts. */
  mrrCents: number;
  billedMinutes: number;
}

export interface ReportData {
  version: number;
  audience: Audience;
  client: { id: string; code: string; name: string; timezone: string; locale: string };
  month: string;
  previousMonth: string;
  period: { start: string; end: string };
  asOf: string;
  scorecard: ScorecardItem[];
  sla: { overall: number | null; perPriority: SlaPriorityRow[]; breaches: SlaBreach[] };
  tickets: TicketSection;
  patch: PatchSection;
  consumption: ConsumptionSection;
  /** Only in the INTERNAL audience. */
  internal?: InternalSection;
  /** Names of everything the evidence refers to (ticket subjects, hostnames), as they were at asOf. */
  index: { tickets: Array<{ id: number; subject: string }>; devices: Array<{ id: string; hostname: string }> };
}
