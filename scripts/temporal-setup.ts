/**
 * For an existing Temporal server (TEMPORAL_ADDRESS set): registers mspflow's search
 * attributes in TEMPORAL_NAMESPACE. The embedded dev server gets them at start, so this is
 * only for production servers. Safe to run again.
 */
import { Connection } from '@temporalio/client';
import { loadConfig } from '../lib/config';
import { connectionOptions } from '../lib/temporal/connection';
import { registerSearchAttributes } from '../lib/temporal/dev-server';
import { searchAttributeTypes } from '../workflows/definitions';

async function main() {
  const config = loadConfig();
  if (!config.temporal.address) {
    console.error('TEMPORAL_ADDRESS is not set: the embedded dev server registers the search attributes itself.');
    process.exit(2);
  }
  const connection = await Connection.connect(connectionOptions(config, config.temporal.address));
  try {
    const result = await registerSearchAttributes({ connection, namespace: config.temporal.namespace, attributes: searchAttributeTypes });
    console.log(JSON.stringify(result));
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(`temporal:setup failed: ${(err as Error).message}`);
  process.exit(1);
});
