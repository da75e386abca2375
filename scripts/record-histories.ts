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
import { changePriorityUpdate, changeStatusUpdate, clientRepliedSignal } from '../workflows/definitions';

const outDir = path.join(__dirname, '..', 'tests', 'histories');

async function main() {
  await globalSetup();
  const ctx = await createTestContext({ worker: true });
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
    const history = await handle.fetchHistory();
    const file = path.join(outDir, 'ticket-workflow.json');
    fs.writeFileSync(file, historyToJSON(history));
    console.log(`wrote ${path.relative(process.cwd(), file)} (${history.events?.length} events)`);
  } finally {
    await ctx.close();
    await globalTeardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
