import { searchAttributes, workflowIds } from '../../workflows/definitions';
import { ticketViewQuery } from '../../workflows/definitions';
import { startTicketWorkflow } from '../../lib/temporal/workflow-starts';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';

describe('POST /tickets end to end (real Temporal, real PostgreSQL)', () => {
  let ctx: TestContext;
  let token: string;
  let clientId: string;

  beforeAll(async () => {
    ctx = await createTestContext({ worker: true });
    ({ token } = await ctx.userWithToken('TECHNICIAN'));
    const admin = await ctx.userWithToken('ADMIN');
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/clients',
      headers: { authorization: `Bearer ${admin.token}` },
      payload: { code: 'acme', name: 'ACME Industries', domains: ['acme.example'] },
    });
    expect(res.statusCode).toBe(201);
    clientId = res.json().id;
  });
  afterAll(() => ctx?.close());

  it('commits the ticket, starts its workflow, and the workflow writes back to the database', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/tickets',
      headers: { authorization: `Bearer ${token}` },
      payload: { clientId, subject: 'Printer on fire', priority: 'P2', description: 'Smoke from the 2nd floor printer' },
    });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created.number).toBe(`T-${created.id}`);
    expect(created.workflow.id).toBe(workflowIds.ticket(created.id));
    // The API tried the start before answering: the workflow already exists.
    expect(['started', 'running']).toContain(created.workflow.state);

    // The workflow's first activity records itself in PostgreSQL; GET shows it.
    const shown = await eventually(async () => {
      const r = await ctx.app.inject({ method: 'GET', url: `/tickets/${created.id}`, headers: { authorization: `Bearer ${token}` } });
      expect(r.statusCode).toBe(200);
      expect(r.json().workflow.state).toBe('running');
      return r.json();
    });
    // The SLA timeline entries (sla.*) are written by the same start, in parallel: not asserted here.
    expect(shown.events.map((e: { type: string }) => e.type).filter((t: string) => !t.startsWith('sla.'))).toEqual(['created', 'workflow-started']);

    const handle = ctx.temporal.client.workflow.getHandle(created.workflow.id);
    const description = await handle.describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.taskQueue).toBe(ctx.taskQueue);
    expect(description.typedSearchAttributes.get(searchAttributes.TicketId)).toBe(String(created.id));
    expect(description.typedSearchAttributes.get(searchAttributes.ClientId)).toBe(clientId);
    expect(description.typedSearchAttributes.get(searchAttributes.Priority)).toBe('P2');
    expect(await description.staticSummary()).toContain('Printer on fire');
    expect(await handle.query(ticketViewQuery)).toMatchObject({ status: 'NEW', priority: 'P2', sla: { status: 'none' } });

    // Findable the way an admin finds it in the Temporal UI: by search attributes.
    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const wf of ctx.temporal.client.workflow.list({
        query: `TicketId = "${created.id}" AND ClientId = "${clientId}"`,
      })) {
        ids.push(wf.workflowId);
      }
      expect(ids).toEqual([created.workflow.id]);
      return ids;
    });
    expect(found).toHaveLength(1);
    await handle.terminate('test done');
  });

  it('returns the same ticket for a retried request with the same Idempotency-Key', async () => {
    const send = () =>
      ctx.app.inject({
        method: 'POST',
        url: '/tickets',
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': 'retry-key-0001' },
        payload: { clientId, subject: 'VPN down' },
      });
    const [a, b] = await Promise.all([send(), send()]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 201]);
    expect(a.json().id).toBe(b.json().id);
    expect(await ctx.prisma.ticket.count({ where: { subject: 'VPN down' } })).toBe(1);
    expect(await ctx.prisma.outboxEntry.count({ where: { key: workflowIds.ticket(a.json().id) } })).toBe(1);
  });

  it('rejects bad input with a clear error and writes nothing', async () => {
    const before = await ctx.prisma.ticket.count();
    const missing = await ctx.app.inject({
      method: 'POST',
      url: '/tickets',
      headers: { authorization: `Bearer ${token}` },
      payload: { clientId, subject: '' },
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toBe('VALIDATION_FAILED');
    const unknownClient = await ctx.app.inject({
      method: 'POST',
      url: '/tickets',
      headers: { authorization: `Bearer ${token}` },
      payload: { clientId: '00000000-0000-4000-8000-000000000000', subject: 'Ghost' },
    });
    expect(unknownClient.statusCode).toBe(404);
    expect(await ctx.prisma.ticket.count()).toBe(before);
    expect(await ctx.prisma.outboxEntry.count({ where: { dispatchedAt: null } })).toBe(0);
  });

  it('refuses to treat another ticket\'s workflow of the same id as this ticket\'s', async () => {
    // Simulates a database recreated against an old namespace: ticket-<id> already belongs to
    // another client. The outbox must keep the entry pending and say why, not mark it done.
    const other = await ctx.prisma.client.create({ data: { code: 'diverged', name: 'Diverged Co' } });
    const next = (await ctx.prisma.$queryRaw<Array<{ id: bigint }>>`SELECT last_value + 1 AS id FROM "Ticket_id_seq"`)[0].id;
    const squatter = await startTicketWorkflow(ctx.temporal.client, ctx.taskQueue, {
      ticketId: Number(next),
      clientId: other.id,
      clientName: 'Diverged Co',
      subject: 'old ticket from another life',
      priority: 'P4',
    });
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/tickets',
      headers: { authorization: `Bearer ${token}` },
      payload: { clientId, subject: 'New ticket, same number' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().id).toBe(Number(next));
    expect(res.json().workflow.state).toBe('queued');
    const entry = await ctx.prisma.outboxEntry.findUniqueOrThrow({ where: { key: squatter.workflowId } });
    expect(entry.dispatchedAt).toBeNull();
    expect(entry.lastError).toMatch(/out of step/);
    await ctx.temporal.client.workflow.getHandle(squatter.workflowId).terminate('test done');
  });

  it('hides tickets of clients outside a scoped user', async () => {
    const other = await ctx.prisma.client.create({ data: { code: 'other', name: 'Other Co' } });
    const scoped = await ctx.userWithToken('TECHNICIAN', [other.id]);
    const ticket = await ctx.prisma.ticket.findFirstOrThrow({ where: { clientId } });
    const res = await ctx.app.inject({ method: 'GET', url: `/tickets/${ticket.id}`, headers: { authorization: `Bearer ${scoped.token}` } });
    expect(res.statusCode).toBe(404);
    const create = await ctx.app.inject({
      method: 'POST',
      url: '/tickets',
      headers: { authorization: `Bearer ${scoped.token}` },
      payload: { clientId, subject: 'Not mine' },
    });
    expect(create.statusCode).toBe(403);
  });
});
