/**
 * Finds or installs Temporal's time-skipping test server (the Java io.temporal:temporal-test-server
 * behind a wrapper script) and prints the wrapper's absolute path as the last line of stdout, for
 * `TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } })`.
 * Progress goes to stderr. Cache: CACHE_DIR (default ~/.cache/mspflow). Needs java and mvn.
 */
import { loadConfig } from '../lib/config';
import { ensureTimeSkippingServer } from '../lib/temporal/test-server';

async function main(): Promise<void> {
  const log = { info: (m: string) => console.error(m), warn: (m: string) => console.error(`warning: ${m}`) };
  const { executable } = await ensureTimeSkippingServer({ cacheDir: loadConfig().cacheDir, log });
  process.stdout.write(`${executable}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
