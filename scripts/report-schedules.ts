// `npm run reports:schedules`: creates or updates every client's monthly report schedule on the
// configured Temporal server (idempotent; run after adding clients or changing a time zone).
import { syncReportSchedules } from '../activities/reports/schedules';
import { loadConfig } from '../lib/config';
import { createPrisma } from '../lib/db/prisma';
import { resolveDatabaseUrl } from '../lib/db/resolve-url';
import { connectTemporal } from '../lib/temporal/connection';

async function main(): Promise<void> {
  const config = loadConfig();
  // `npm start` serves Temporal on localhost:7233 by default
  const address = config.temporal.address ?? 'localhost:7233';
  const database = await resolveDatabaseUrl(config);
  const prisma = createPrisma(database.url);
  const temporal = await connectTemporal(config, address);
  try {
    const result = await syncReportSchedules({ prisma, temporal: temporal.client, taskQueue: config.temporal.taskQueue, hour: config.reports.scheduleHour });
    console.log(`report schedules: ${result.created.length} created, ${result.updated.length} updated`);
  } finally {
    await temporal.connection.close();
    await prisma.$disconnect();
    await database.stop();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
