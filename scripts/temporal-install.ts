/**
 * Finds or installs the pinned Temporal CLI and prints its absolute path as the last line of
 * stdout, so shell scripts can do `TEMPORAL=$(npm run -s temporal:install)`. Progress goes to
 * stderr. Cache: CACHE_DIR (default ~/.cache/mspflow); TEMPORAL_CLI_PATH forces a binary.
 */
import { loadConfig } from '../lib/config';
import { ensureTemporalCli } from '../lib/temporal/cli-binary';

async function main(): Promise<void> {
  const log = { info: (m: string) => console.error(m), warn: (m: string) => console.error(`warning: ${m}`) };
  const config = loadConfig();
  const cli = await ensureTemporalCli({ cacheDir: config.cacheDir, explicitPath: config.temporal.dev.cliPath, log });
  console.error(`Temporal CLI ${cli.version} (${cli.source})`);
  process.stdout.write(`${cli.path}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
