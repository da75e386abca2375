import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import { ensureTimeSkippingServer } from '../../lib/temporal/test-server';
import { installSdkLogging } from '../../workers/temporal-worker';
import { searchAttributeTypes } from '../../workflows/definitions';

const KEYWORD = 2; // IndexedValueType.KEYWORD

/**
 * Temporal's Java time-skipping test server (cached, see lib/temporal/test-server.ts) with
 * mspflow's search attributes registered: that server does not take them on the command line.
 */
export async function startTimeSkippingEnv(log: Logger): Promise<TestWorkflowEnvironment> {
  installSdkLogging(log);
  const { executable } = await ensureTimeSkippingServer({ cacheDir: loadConfig().cacheDir, log: { info: () => undefined, warn: console.warn } });
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: executable } } });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.keys(searchAttributeTypes).map((name) => [name, KEYWORD])),
  });
  return env;
}
