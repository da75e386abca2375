import { ReportScheduleWatch } from '../../activities/reports/schedule-watch';
import { workflowIds } from '../../workflows/definitions';
import { createTestContext, type TestContext } from '../support/context';

/**
 * The worker's watch gives every new or changed client its report schedule, on the real dev
 * server; a worker start (a new watch) only reads the schedules that are already right.
 */
describe('report schedule watch', () => {
  let ctx: TestContext;
  const codes: string[] = [];
  const suffix = Date.now().toString(36);

  beforeAll(async () => {
    ctx = await createTestContext();
  }, 120_000);

  afterAll(async () => {
    for (const code of codes) await ctx?.temporal.client.schedule.getHandle(workflowIds.reportSchedule(code)).delete().catch(() => undefined);
    await ctx?.close();
  });

  const newWatch = () =>
    new ReportScheduleWatch({ prisma: ctx.prisma, temporal: ctx.temporal.client, taskQueue: ctx.taskQueue, hour: 7, log: ctx.log }, 3_600_000);
  const schedule = (code: string) => ctx.temporal.client.schedule.getHandle(workflowIds.reportSchedule(code));
  async function newClient(name: string, timezone: string) {
    const client = await ctx.prisma.client.create({ data: { code: `watch-${name}-${suffix}`, name, timezone } });
    codes.push(client.code);
    return client;
  }

  test('a client created or moved to another time zone gets its schedule (re)written; unchanged clients are left alone', async () => {
    const a = await newClient('a', 'Europe/Paris');
    const watch = newWatch();
    const first = await watch.runOnce();
    expect(first.created).toContain(workflowIds.reportSchedule(a.code));
    expect((await schedule(a.code).describe()).spec.timezone).toBe('Europe/Paris');

    // Nothing changed: the next pass looks at nobody.
    expect(await watch.runOnce()).toEqual({ clients: 0, created: [], updated: [] });

    const b = await newClient('b', 'America/Montreal');
    await ctx.prisma.client.update({ where: { id: a.id }, data: { timezone: 'Asia/Tokyo' } });
    expect(await watch.runOnce()).toEqual({
      clients: 2,
      created: [workflowIds.reportSchedule(b.code)],
      updated: [workflowIds.reportSchedule(a.code)],
    });
    expect((await schedule(b.code).describe()).spec.timezone).toBe('America/Montreal');
    const movedA = await schedule(a.code).describe();
    expect(movedA.spec.timezone).toBe('Asia/Tokyo');
    expect(movedA.state.note).toContain('Asia/Tokyo');
    await watch.stop();
  });

  test('a worker start rewrites no schedule that is right, and still updates a changed client and a schedule edited by hand', async () => {
    const same = await newClient('same', 'Europe/Paris');
    const moved = await newClient('moved', 'Europe/Paris');
    const edited = await newClient('edited', 'Europe/Paris');
    const firstStart = newWatch();
    const created = (await firstStart.runOnce()).created;
    for (const c of [same, moved, edited]) expect(created).toContain(workflowIds.reportSchedule(c.code));
    await firstStart.stop();

    // Start again with nothing changed: every schedule is only read.
    const lastUpdate = async (code: string) => (await schedule(code).describe()).info.lastUpdatedAt?.getTime();
    const before = await lastUpdate(same.code);
    const idle = newWatch();
    const idlePass = await idle.runOnce();
    expect(idlePass.clients).toBeGreaterThanOrEqual(3); // every client checked at start
    expect(idlePass).toMatchObject({ created: [], updated: [] });
    await idle.stop();
    expect(await lastUpdate(same.code)).toBe(before);

    // While no worker runs: one client moves, one schedule is edited by hand (its client is unchanged).
    await ctx.prisma.client.update({ where: { id: moved.id }, data: { timezone: 'Asia/Tokyo' } });
    await schedule(edited.code).update((previous) => ({ ...previous, spec: { ...previous.spec, calendars: [{ dayOfMonth: 15, hour: 9 }] } }));
    const editedAt = await lastUpdate(edited.code);

    const next = newWatch();
    const pass = await next.runOnce();
    await next.stop();
    expect(pass.created).toEqual([]);
    expect([...pass.updated].sort()).toEqual([workflowIds.reportSchedule(edited.code), workflowIds.reportSchedule(moved.code)].sort());
    expect((await schedule(moved.code).describe()).spec.timezone).toBe('Asia/Tokyo');
    const repaired = await schedule(edited.code).describe();
    expect(repaired.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 7, end: 7 }], dayOfMonth: [{ start: 1, end: 7 }] });
    expect(repaired.info.lastUpdatedAt?.getTime()).not.toBe(editedAt);
    expect(await lastUpdate(same.code)).toBe(before);
  });
});
