import type { Config } from '../lib/config';

/**
 * Test-only fault injection (CRASH_AT): dies exactly like a power cut, with no cleanup, so
 * tests can prove that what was committed before this point is recovered after a restart.
 */
export function crashIfAsked(config: Config, point: Config['crashAt']): void {
  if (config.crashAt !== 'none' && config.crashAt === point) process.kill(process.pid, 'SIGKILL');
}
