import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHtmlPrinter, type HtmlPrinter } from '../../activities/reports/chromium';
import { collectReportData } from '../../activities/reports/collect';
import { renderReport } from '../../activities/reports/render';
import { createPrisma, type PrismaClient } from '../../lib/db/prisma';
import type { ReportData } from '../../lib/reports/report-data';
import { createTestDatabase } from '../support/context';
import { FIXTURE_AS_OF, FIXTURE_MONTH, seedReportMonth } from './support/fixture';

/** Text of a PDF, read back with poppler's pdftotext (installed with Chromium by scripts/chromium/install.sh). */
function pdfText(pdf: Buffer): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'report-pdf-')), 'r.pdf');
  fs.writeFileSync(file, pdf);
  const r = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`pdftotext failed: ${r.stderr || r.error}`);
  return r.stdout;
}

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('report rendering in real headless Chromium', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let prisma: PrismaClient;
  let printer: HtmlPrinter;
  let data: ReportData;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrisma(db.url, { maxConnections: 2 });
    const f = await seedReportMonth(prisma);
    data = await collectReportData({ prisma }, { clientId: f.clientId, month: FIXTURE_MONTH, audience: 'INTERNAL', asOf: FIXTURE_AS_OF });
    printer = createHtmlPrinter({ concurrency: 2 });
  }, 60_000);

  afterAll(async () => {
    await printer?.close();
    await prisma?.$disconnect();
    await db?.drop();
  });

  it.each(['fr', 'en'])('prints the %s report to a PDF holding its text and numbers', async (locale) => {
    const r = renderReport(data, locale);
    const pdf = await printer.pdf(r.html);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(10_000);
    const text = pdfText(pdf).replace(/\s+/g, ' ');
    if (locale === 'fr') {
      expect(text).toContain('Rapport mensuel de service');
      expect(text).toContain('Respect des SLA');
      expect(text).toContain('75 %');
      expect(text).toContain('Tableau de bord');
    } else {
      expect(text).toContain('Monthly service report');
      expect(text).toContain('SLA compliance');
      expect(text).toContain('75%');
      expect(text).toContain('MSP internal figures');
    }
    expect(text).toContain('ACME <Industries> & Co');
    expect(text).toContain('E: dpkg was interrupted');
  });

  it('renders the email HTML to a screenshot of sensible size', async () => {
    const png = await printer.screenshot(renderReport(data, 'en').html, 800);
    const { width, height } = pngSize(png);
    expect(width).toBe(800);
    expect(height).toBeGreaterThan(1000); // the whole report, not one screen
    expect(png.length).toBeGreaterThan(20_000);
  });

  it('prints several reports at once on the one Chromium', async () => {
    const html = renderReport(data, 'fr').html;
    const pdfs = await Promise.all(Array.from({ length: 5 }, () => printer.pdf(html)));
    for (const p of pdfs) expect(p.subarray(0, 5).toString()).toBe('%PDF-');
  });
});
