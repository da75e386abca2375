/**
 * Read-only access to the raw header fields of a message, by lower-case name, unfolded and
 * without decoding: the automatic-mail and bounce rules look at headers exactly as sent.
 */
export interface MailHeaders {
  /** Every value of the field, in order (empty when absent). */
  all(name: string): string[];
  /** The first value, or undefined. */
  get(name: string): string | undefined;
  has(name: string): boolean;
  /** Lower-case names present. */
  names(): string[];
}

function build(fields: Array<[string, string]>): MailHeaders {
  const map = new Map<string, string[]>();
  for (const [name, value] of fields) {
    const key = name.trim().toLowerCase();
    if (!key) continue;
    const list = map.get(key) ?? [];
    list.push(value.trim());
    map.set(key, list);
  }
  return {
    all: (name) => map.get(name.toLowerCase()) ?? [],
    get: (name) => map.get(name.toLowerCase())?.[0],
    has: (name) => map.has(name.toLowerCase()),
    names: () => [...map.keys()],
  };
}

/** Splits a header block (text before the first empty line, or a whole message) into fields. */
export function parseHeaderBlock(raw: string | Buffer): MailHeaders {
  const text = typeof raw === 'string' ? raw : raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = end >= 0 ? text.slice(0, end) : text;
  const fields: Array<[string, string]> = [];
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length) {
      fields[fields.length - 1][1] += ' ' + line.trim(); // folded continuation
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push([line.slice(0, colon), line.slice(colon + 1)]);
  }
  return build(fields);
}

/** From mailparser's `headerLines` (`{ key, line }` with the raw `Name: value` line). */
export function headersFromLines(lines: ReadonlyArray<{ key: string; line: string }>): MailHeaders {
  return build(
    lines.map(({ key, line }) => {
      const colon = line.indexOf(':');
      const value = colon >= 0 ? line.slice(colon + 1) : '';
      return [key, value.replace(/\r?\n[ \t]+/g, ' ')] as [string, string];
    }),
  );
}

/** From a plain object (tests, or headers already unfolded). */
export function headersFromRecord(record: Record<string, string | string[] | undefined>): MailHeaders {
  const fields: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(record)) {
    for (const value of Array.isArray(v) ? v : v === undefined ? [] : [v]) fields.push([k, value]);
  }
  return build(fields);
}

/**
 * Addresses in angle brackets, or bare ones, from an address field or a line of text, lower-cased.
 * Tokenises instead of scanning with a regular expression: a hostile 100 KB line without "@"
 * must cost linear time, not minutes.
 */
export function addressesIn(value: string | undefined): string[] {
  if (!value) return [];
  const bracketed: string[] = [];
  for (const m of value.matchAll(/<([^<>\s]{1,320})>/g)) if (isAddress(m[1])) bracketed.push(m[1]);
  const found = bracketed.length ? bracketed : value.split(/[\s<>,;:"()[\]]+/).filter(isAddress);
  return found.map((a) => a.toLowerCase());
}

function isAddress(token: string): boolean {
  const at = token.lastIndexOf('@');
  return at > 0 && at < token.length - 1 && token.length <= 320 && token.indexOf('@') === at;
}

/** Message-IDs (`<...>`) listed in In-Reply-To or References, in order. */
export function messageIdsIn(value: string | undefined): string[] {
  if (!value) return [];
  return [...value.matchAll(/<[^<>\s]+>/g)].map((m) => m[0]);
}
