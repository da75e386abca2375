import type { TicketStatus } from '../../workflows/definitions';

/**
 * Commands a technician writes in an email reply, each alone on its line (leading spaces
 * allowed, case-insensitive):
 *
 *   #status waiting | resolved | in-progress | acknowledged | closed   (French: attente, résolu, en-cours...)
 *   #time 15m | 1h30 | 1h 30m | 1.5h | 90 | 0:45                       (a time entry, to the minute)
 *   #priority P1..P4 (or 1..4)
 *   #assign <someone>                                                  (email, name or "me")
 *   #internal                                                           (the lines after it are an internal note)
 *
 * Command lines are removed from the text. Text before `#internal` is the public reply (relayed
 * to the client); text after it is the internal note. A line starting with `#` followed by a
 * word that is not a command is reported as an error with an explanation (and kept out of the
 * relayed text so a typo never reaches the client); `#123` or `# heading` are not commands.
 */
export type TicketCommand =
  | { type: 'status'; status: TicketStatus }
  | { type: 'time'; minutes: number }
  | { type: 'priority'; priority: 'P1' | 'P2' | 'P3' | 'P4' }
  | { type: 'assign'; assignee: string }
  | { type: 'internal' };

export interface CommandError {
  /** 1-based line number in the text given. */
  line: number;
  /** The line as written. */
  text: string;
  message: string;
}

export interface ParsedCommands {
  commands: TicketCommand[];
  errors: CommandError[];
  /** Reply to relay to the client (command lines removed, trimmed); '' when there is none. */
  publicText: string;
  /** Internal note (text after `#internal`), or null without `#internal`. */
  internalText: string | null;
}

export const STATUS_WORDS: Record<string, TicketStatus> = {
  waiting: 'WAITING_ON_CLIENT',
  'waiting-on-client': 'WAITING_ON_CLIENT',
  pending: 'WAITING_ON_CLIENT',
  attente: 'WAITING_ON_CLIENT',
  'en-attente': 'WAITING_ON_CLIENT',
  resolved: 'RESOLVED',
  solved: 'RESOLVED',
  résolu: 'RESOLVED',
  resolu: 'RESOLVED',
  'in-progress': 'IN_PROGRESS',
  progress: 'IN_PROGRESS',
  open: 'IN_PROGRESS',
  'en-cours': 'IN_PROGRESS',
  acknowledged: 'ACKNOWLEDGED',
  ack: 'ACKNOWLEDGED',
  closed: 'CLOSED',
  close: 'CLOSED',
  fermé: 'CLOSED',
  ferme: 'CLOSED',
};

const COMMAND_LINE = /^\s*#([a-zA-Z][\w-]*)(?:[ \t]+(.*?))?\s*$/;
const KNOWN = ['status', 'time', 'priority', 'assign', 'internal'] as const;
const ALIASES: Record<string, (typeof KNOWN)[number]> = {
  status: 'status',
  statut: 'status',
  time: 'time',
  temps: 'time',
  priority: 'priority',
  priorite: 'priority',
  priorité: 'priority',
  assign: 'assign',
  assigner: 'assign',
  internal: 'internal',
  interne: 'internal',
  note: 'internal',
};
/** Longest time entry one command may log: a typo like `#time 800h` must not bill a month. */
export const MAX_TIME_MINUTES = 24 * 60;

/**
 * Minutes in a duration: `15m`, `15 min`, `1h30`, `1h 30m`, `1.5h`, `1,5h`, `2h`, `0:45`, `90`
 * (bare numbers are minutes). Null when unreadable, zero or over MAX_TIME_MINUTES. Fractions of
 * hours round to the nearest minute.
 */
export function parseDuration(input: string): number | null {
  const s = input.trim().toLowerCase().replace(/\s+/g, '');
  let minutes: number | null = null;
  let m: RegExpExecArray | null;
  if ((m = /^(\d{1,4})$/.exec(s))) minutes = Number(m[1]);
  else if ((m = /^(\d{1,4})(?:m|min|mins|minutes?)$/.exec(s))) minutes = Number(m[1]);
  else if ((m = /^(\d{1,3})(?:h|hr|hrs|hours?|heures?)(?:(\d{1,2})(?:m|min|mins|minutes?)?)?$/.exec(s))) {
    if (m[2] !== undefined && Number(m[2]) >= 60) return null;
    minutes = Number(m[1]) * 60 + Number(m[2] ?? 0);
  } else if ((m = /^(\d{1,3})[.,](\d{1,3})(?:h|hr|hrs|hours?|heures?)$/.exec(s))) {
    minutes = Math.round(Number(`${m[1]}.${m[2]}`) * 60);
  } else if ((m = /^(\d{1,3}):([0-5]\d)$/.exec(s))) minutes = Number(m[1]) * 60 + Number(m[2]);
  if (minutes === null || minutes <= 0 || minutes > MAX_TIME_MINUTES) return null;
  return minutes;
}

export function parseStatusWord(word: string): TicketStatus | null {
  const w = word.trim().toLowerCase().replace(/[\s_]+/g, '-');
  return STATUS_WORDS[w] ?? STATUS_WORDS[w.normalize('NFD').replace(/[\u0300-\u036f]/g, '')] ?? null;
}

function parsePriority(arg: string): 'P1' | 'P2' | 'P3' | 'P4' | null {
  const m = /^p?([1-4])$/i.exec(arg.trim());
  return m ? (`P${m[1]}` as 'P1' | 'P2' | 'P3' | 'P4') : null;
}

/** Parses the commands of a technician's reply (give it the reply text, quotes already removed). */
export function parseTechnicianCommands(text: string): ParsedCommands {
  const lines = String(text ?? '').split(/\r?\n/);
  const commands: TicketCommand[] = [];
  const errors: CommandError[] = [];
  const publicLines: string[] = [];
  const internalLines: string[] = [];
  let internal = false;

  lines.forEach((raw, i) => {
    const m = COMMAND_LINE.exec(raw);
    if (!m) {
      (internal ? internalLines : publicLines).push(raw);
      return;
    }
    const name = ALIASES[m[1].toLowerCase()];
    const arg = (m[2] ?? '').trim();
    const error = (message: string) => errors.push({ line: i + 1, text: raw.trim(), message });
    switch (name) {
      case 'status': {
        const status = parseStatusWord(arg);
        if (status) commands.push({ type: 'status', status });
        else error(`#status needs one of: waiting, in-progress, resolved, closed (got "${arg}").`);
        return;
      }
      case 'time': {
        const minutes = parseDuration(arg);
        if (minutes !== null) commands.push({ type: 'time', minutes });
        else error(`#time needs a duration up to 24h such as 15m, 1h30 or 1.5h (got "${arg}").`);
        return;
      }
      case 'priority': {
        const priority = parsePriority(arg);
        if (priority) commands.push({ type: 'priority', priority });
        else error(`#priority needs P1, P2, P3 or P4 (got "${arg}").`);
        return;
      }
      case 'assign': {
        if (arg && arg.length <= 200) commands.push({ type: 'assign', assignee: arg });
        else error('#assign needs a technician: an email address, a name or "me".');
        return;
      }
      case 'internal': {
        if (!internal) commands.push({ type: 'internal' });
        internal = true;
        if (arg) internalLines.push(arg); // "#internal the note" on one line
        return;
      }
      default:
        error(`Unknown command #${m[1]}. Known commands: #status, #time, #priority, #assign, #internal.`);
    }
  });

  return {
    commands,
    errors,
    publicText: tidy(publicLines),
    internalText: internal ? tidy(internalLines) : null,
  };
}

function tidy(lines: string[]): string {
  return lines.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}
