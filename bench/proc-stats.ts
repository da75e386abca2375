import fs from 'node:fs';
import os from 'node:os';

/**
 * Linux /proc readings for the bench: resident memory and CPU time of a process (optionally
 * with its descendants, e.g. PostgreSQL's backends). Every function returns null/0 when the
 * process is gone or /proc is unavailable rather than throwing: sampling must never break a run.
 */

/** VmRSS and VmHWM (the kernel's own peak RSS) in bytes. */
export function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    const rss = kb('VmRSS');
    return Number.isFinite(rss) ? { rss, hwm: kb('VmHWM') } : null;
  } catch {
    return null;
  }
}

const CLOCK_TICKS = 100; // USER_HZ, 100 on every Linux architecture Node supports

interface Stat {
  ppid: number;
  /** utime + stime + cutime + cstime (the latter two: children it reaped), in seconds. */
  cpu: number;
}

function statOf(pid: number): Stat | null {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS };
  } catch {
    return null;
  }
}

/** CPU seconds used so far by pid (and, with tree, by all its live descendants). */
export function cpuSecondsOf(pid: number, tree = false): number {
  const own = statOf(pid);
  if (!own) return 0;
  if (!tree) return own.cpu;
  let total = own.cpu;
  let children: Map<number, number[]>;
  try {
    children = new Map();
    for (const name of fs.readdirSync('/proc')) {
      const p = Number(name);
      if (!Number.isInteger(p) || p <= 0) continue;
      const s = statOf(p);
      if (!s) continue;
      const list = children.get(s.ppid) ?? [];
      list.push(p);
      children.set(s.ppid, list);
    }
  } catch {
    return total;
  }
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length) {
    const p = queue.pop()!;
    total += statOf(p)?.cpu ?? 0;
    queue.push(...(children.get(p) ?? []));
  }
  return total;
}

/** The machine's total busy CPU seconds (all cores), from /proc/stat. */
export function machineBusySeconds(): number {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    // user nice system idle iowait irq softirq steal (guest time is already inside user/nice)
    const [user, nice, system, , , irq = 0, softirq = 0, steal = 0] = line.split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

export const cpuCount = os.cpus().length;

export const MB = 1024 * 1024;
