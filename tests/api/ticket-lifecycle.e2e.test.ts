import { searchAttributes } from '../../workflows/definitions';
import { createTestContext, type TestContext } from '../support/context';
import { eventually } from '../support/eventually';
import { seedSlaContract } from '../support/sla-fixtures';

/** The incident lifecycle through the API, on the real Temporal dev server and PostgreSQL. */
describe('ticket lifecycle through the API', () => {
  let ctx: TestContext;
  let tech: { userId: string; token: string };
  let clientId: string;
  const auth = () => ({ authorization: `Bearer ${tech.token}` });

  beforeAll(async () => {
    ctx = await createTestContext({ worker: true });
    tech = await ctx.userWithToken('TECHNICIAN');
    clientId = (await ctx.prisma.client.create({ data: { code: 'lifeco', name: 'Life Co' } })).id;
    await seedSlaContract(ctx.prisma, clientId);
  });
  afterAll(() => ctx?.close());

  async function openTicket(priority = 'P3') {
    const res = await ctx.app.inject({ method: 'POST', url: '/tickets', headers: auth(), payload: { clientId, subject: 'Mail down', priority } });
    expect(res.statusCode).toBe(201);
    const ticket = res.json();
    await eventually(async () => {
      const t = await ctx.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
      expect(t.workflowStartedAt).not.toBeNull();
    });
    return ticket as { id: number; workflow: { id: string } };
  }

  const post = (id: number, path: string, payload: object) =>
    ctx.app.inject({ method: 'POST', url: `/tickets/${id}/${path}`, headers: auth(), payload });

  it('drives the ticket through its states, keeping the database and the search attributes in step', async () => {
    const ticket = await openTicket();
    const sla = await eventually(async () => {
      const r = await ctx.app.inject({ method: 'GET', url: `/tickets/${ticket.id}/sla`, headers: auth() });
      expect(r.statusCode).toBe(200);
      expect(r.json().view.sla.policy).toBe('Standard');
      return r.json();
    });
    expect(sla.view.sla.status).toBe('ok');
    expect(sla.view.sla.firstResponse.targetMinutes).toBe(240);

    const ack = await post(ticket.id, 'status', { status: 'ACKNOWLEDGED' });
    expect(ack.statusCode).toBe(200);
    expect(ack.json().status).toBe('ACKNOWLEDGED');
    expect(ack.json().sla.firstResponse.met).toBe(true);

    const waiting = await post(ticket.id, 'status', { status: 'WAITING_ON_CLIENT', reason: 'asked for logs' });
    expect(waiting.json().sla).toMatchObject({ status: 'paused', paused: true });

    const assigned = await post(ticket.id, 'assignee', { assigneeId: tech.userId });
    expect(assigned.json().assigneeId).toBe(tech.userId);

    const row = await ctx.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row).toMatchObject({ status: 'WAITING_ON_CLIENT', assigneeId: tech.userId });
    expect(row.firstResponseAt).not.toBeNull();

    const description = await eventually(async () => {
      const d = await ctx.temporal.client.workflow.getHandle(ticket.workflow.id).describe();
      expect(d.typedSearchAttributes.get(searchAttributes.SlaStatus)).toBe('paused');
      return d;
    });
    expect(description.typedSearchAttributes.get(searchAttributes.Assignee)).toBe(tech.userId);

    const timeline = (await ctx.app.inject({ method: 'GET', url: `/tickets/${ticket.id}/sla`, headers: auth() })).json().timeline;
    expect(timeline.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['started', 'recomputed', 'first-response', 'status', 'paused', 'assigned']),
    );
    const events = await ctx.prisma.ticketEvent.findMany({ where: { ticketId: ticket.id, type: { startsWith: 'sla.' } } });
    expect(events.length).toBe(timeline.length);
  });

  it('refuses an invalid transition with a clear 409 and changes nothing', async () => {
    const ticket = await openTicket();
    const res = await post(ticket.id, 'status', { status: 'CLOSED' });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toMatch(/cannot go from NEW to CLOSED/);
    expect((await ctx.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe('NEW');
    const same = await post(ticket.id, 'priority', { priority: 'P3' });
    expect(same.statusCode).toBe(400);
  });

  it('recomputes deadlines in the same workflow when the priority changes', async () => {
    const ticket = await openTicket('P3');
    const handle = ctx.temporal.client.workflow.getHandle(ticket.workflow.id);
    const runBefore = (await handle.describe()).runId;
    const res = await post(ticket.id, 'priority', { priority: 'P1', reason: 'whole site down' });
    expect(res.statusCode).toBe(200);
    expect(res.json().sla.resolution.targetMinutes).toBe(240);
    expect((await handle.describe()).runId).toBe(runBefore);
    expect((await ctx.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).priority).toBe('P1');
  });
});
