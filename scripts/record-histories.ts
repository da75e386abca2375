/**
 * Records the event histories that tests/workflows/replay.test.ts replays, on the real servers
 * the tests use. Run it when a workflow change is meant to change histories (then ship that
 * change with patching/versioning so running workflows still replay):
 *   npm run histories:record
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import globalSetup from '../tests/support/global-setup';
import globalTeardown from '../tests/support/global-teardown';
import { createTestContext } from '../tests/support/context';
import { eventually } from '../tests/support/eventually';
import { seedSlaContract } from '../tests/support/sla-fixtures';
import { DEFAULT_MAIL_USERS, startMailServers } from '../tests/support/mail-servers';
import { seedReportMonth, FIXTURE_MONTH } from '../tests/reports/support/fixture';
import { syncReportSchedules } from '../activities/reports/schedules';
import { changePriorityUpdate, changeStatusUpdate, clientRepliedSignal, workflowIds } from '../workflows/definitions';

const outDir = path.join(__dirname, '..', 'tests', 'histories');

function write(name: string, history: Parameters<typeof historyToJSON>[0]) {
  const file = path.join(outDir, name);
  fs.writeFileSync(file, historyToJSON(history));
  console.log(`wrote ${path.relative(process.cwd(), file)} (${history.events?.length} events)`);
}

async function main() {
  await globalSetup();
  const servers = await startMailServers({ users: [...DEFAULT_MAIL_USERS] });
  const ctx = await createTestContext({
    worker: true,
    env: { SMTP_HOST: servers.smtp.host, SMTP_PORT: String(servers.smtp.port), MAIL_FROM: 'ACME MSP <support@example.test>', MAIL_DOMAIN: 'example.test', REPORTS_INTERNAL_TO: 'tech@example.test' },
  });
  try {
    const client = await ctx.prisma.client.create({ data: { code: 'history', name: 'History Co' } });
    await seedSlaContract(ctx.prisma, client.id);
    const { token } = await ctx.userWithToken('TECHNICIAN');
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/tickets',
      headers: { authorization: `Bearer ${token}` },
      payload: { clientId: client.id, subject: 'Recorded ticket', priority: 'P3' },
    });
    const ticket = res.json();
    const handle = ctx.temporal.client.workflow.getHandle(ticket.workflow.id);
    await eventually(async () => {
      const t = await ctx.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
      if (!t.workflowStartedAt) throw new Error('not yet');
    });
    // A representative life: acknowledged, waiting on the client, client reply, priority change.
    await handle.executeUpdate(changeStatusUpdate, { args: [{ to: 'ACKNOWLEDGED', by: 'recorder' }] });
    await handle.executeUpdate(changeStatusUpdate, { args: [{ to: 'WAITING_ON_CLIENT', by: 'recorder' }] });
    await handle.signal(clientRepliedSignal, { at: Date.now() });
    await handle.executeUpdate(changePriorityUpdate, { args: [{ priority: 'P2', by: 'recorder' }] });
    await handle.executeUpdate(changeStatusUpdate, { args: [{ to: 'RESOLVED', by: 'recorder' }] });
    await handle.terminate('recorded');
    write('ticket-workflow.json', await handle.fetchHistory());

    // The monthly report as the schedule runs it: a tick on April 1st (Paris, the first business
    // day) starts report-<client>-2026-03, which computes and mails both audiences (HTML + PDF).
    const f = await seedReportMonth(ctx.prisma, { recipients: ['client@client.test'] });
    await syncReportSchedules({ prisma: ctx.prisma, temporal: ctx.temporal.client, taskQueue: ctx.taskQueue, hour: 7 }, [f.clientId]);
    const schedule = ctx.temporal.client.schedule.getHandle(workflowIds.reportSchedule(f.code));
    await schedule.backfill([{ start: new Date('2026-03-31T12:00:00Z'), end: new Date('2026-04-02T00:00:00Z') }]);
    const report = ctx.temporal.client.workflow.getHandle(workflowIds.report(f.code, FIXTURE_MONTH));
    const progress = await eventually(() => report.result(), { timeoutMs: 180_000, intervalMs: 1000 });
    if (progress.status !== 'sent') throw new Error(`recorded report ended ${progress.status}`);
    const tickId = await eventually(async () => {
      for await (const w of ctx.temporal.client.workflow.list({ query: `WorkflowType = 'reportTickWorkflow' AND ClientId = '${f.clientId}'` })) {
        if ((await ctx.temporal.client.workflow.getHandle(w.workflowId, w.runId).result()).started) return w;
      }
      throw new Error('no tick started the report yet');
    });
    await schedule.delete();
    write('report-tick-workflow.json', await ctx.temporal.client.workflow.getHandle(tickId.workflowId, tickId.runId).fetchHistory());
    write('report-workflow.json', await report.fetchHistory());
  } finally {
    await ctx.close();
    await servers.stop();
    await globalTeardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
