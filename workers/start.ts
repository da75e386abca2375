/**
 * `npm start`: the whole of mspflow in one process tree. Ctrl-C (or SIGTERM) stops every part
 * in reverse order; a second Ctrl-C exits at once.
 */
import { ConfigError, loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { installSdkLogging } from './temporal-worker';
import { startStack } from './stack';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config);
  installSdkLogging(log);

  let stopRequested = false;
  let firstSignalAt = 0;
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopRequested) {
      // Ctrl-C under `npm start` arrives twice at once (from the terminal and relayed by npm);
      // only a deliberate second press, later, means "stop waiting".
      if (Date.now() - firstSignalAt < 1500) return;
      log.warn('second signal: exiting now');
      process.exit(130);
    }
    stopRequested = true;
    firstSignalAt = Date.now();
    log.info(`${signal}: stopping mspflow`);
    void (stack?.stop() ?? Promise.resolve()).then(() => {
      log.info('stopped');
      log.flush?.();
      process.exit(0);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    stack = await startStack(config, log);
  } catch (err) {
    log.fatal({ err }, `mspflow could not start: ${(err as Error).message}`);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 200).unref();
    return;
  }
  if (stopRequested) return void stack.stop();
  log.info(
    {
      api: stack.apiUrl,
      docs: stack.apiUrl ? `${stack.apiUrl}/docs` : undefined,
      temporalUi: stack.uiUrl ?? undefined,
      temporal: stack.temporal.address,
    },
    `mspflow is up${stack.apiUrl ? `: API ${stack.apiUrl} (docs ${stack.apiUrl}/docs)` : ''}${stack.uiUrl ? `, Temporal UI ${stack.uiUrl}` : ''}`,
  );
}

void main();
