import type { Config, CrashPoint } from './config';

/**
 * Test-only fault injection (CRASH_AT): dies exactly like a power cut, with no cleanup, so
 * tests can prove that what was committed before this point is recovered after a restart.
 */
export function crashIfAsked(config: Pick<Config, 'crashAt'>, point: CrashPoint): void {
  if (config.crashAt !== 'none' && config.crashAt === point) process.kill(process.pid, 'SIGKILL');
}

/** The same, as a function handed to code that must not see the whole configuration. */
export type CrashHook = (point: CrashPoint) => void;
export const crashHook =
  (config: Pick<Config, 'crashAt'>): CrashHook =>
  (point) =>
    crashIfAsked(config, point);
