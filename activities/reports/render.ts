import fs from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import { barChartSvg, gaugeSvg } from '../../lib/reports/charts';
import { formatInstant, formatMinutes, formatMoney, formatMonth, formatNumber, formatPercent, noData, reportLocale, type ReportLocale } from '../../lib/reports/format';
import type { Evidence, ReportData } from '../../lib/reports/report-data';
import { reportStrings } from '../../lib/reports/strings';

export const REPORT_TEMPLATE = path.resolve(__dirname, '..', '..', 'templates', 'reports', 'report.ejs');

export interface RenderedReport {
  locale: ReportLocale;
  subject: string;
  /** The report's body (tables, inline styles, inline SVG): what the email carries. */
  body: string;
  /** A whole HTML document around the body: what the API shows and Chromium prints. */
  html: string;
}

/** An evidence block in the appendix that a number links to (#ev-<id>). */
interface EvidenceBlock {
  id: string;
  title: string;
  tickets: Array<{ id: number; subject: string }>;
  devices: Array<{ id: string; hostname: string }>;
  events: Array<{ eventId: string; ticketId: number; at: string; type: string }>;
}

let compiled: ejs.TemplateFunction | undefined;
function template(): ejs.TemplateFunction {
  compiled ??= ejs.compile(fs.readFileSync(REPORT_TEMPLATE, 'utf8'), { filename: REPORT_TEMPLATE });
  return compiled;
}

/**
 * Renders a stored snapshot. Pure apart from reading the template: the same data gives the
 * same HTML, in the report's locale (the client's, French or English).
 */
export function renderReport(data: ReportData, localeOverride?: string): RenderedReport {
  const locale = reportLocale(localeOverride ?? data.client.locale);
  const t = reportStrings(locale);
  const tz = data.client.timezone;
  const monthLabel = formatMonth(data.month, locale);
  const subject = data.audience === 'INTERNAL' ? t.internalSubject(data.client.name, monthLabel) : t.subject(data.client.name, monthLabel);

  const ticketName = new Map(data.index.tickets.map((x) => [x.id, x.subject]));
  const deviceName = new Map(data.index.devices.map((x) => [x.id, x.hostname]));
  const blocks: EvidenceBlock[] = [];
  const evidence = (id: string, title: string, ev: Evidence & { timelines?: EvidenceBlock['events'] }): string => {
    if (!blocks.some((b) => b.id === id)) {
      blocks.push({
        id,
        title,
        tickets: (ev.tickets ?? []).map((tid) => ({ id: tid, subject: ticketName.get(tid) ?? '' })),
        devices: (ev.devices ?? []).map((did) => ({ id: did, hostname: deviceName.get(did) ?? did })),
        events: ev.timelines ?? [],
      });
    }
    return `#ev-${id}`;
  };

  const c = data.consumption;
  const weeklyCharts = c.contracts.map((k) => {
    const line = k.weekly.find((w) => w.averageLine !== null)?.averageLine ?? null;
    return barChartSvg(
      k.weekly.map((w) => ({ label: w.weekStart.slice(5), value: w.minutes / 60 })),
      { line: line === null ? null : line / 60, lineLabel: t.average },
    );
  });
  const ticketChart = barChartSvg(
    [
      { label: t.opened, value: data.tickets.opened, previous: data.tickets.previous.opened },
      { label: t.closed, value: data.tickets.closed, previous: data.tickets.previous.closed },
      { label: t.incidents, value: data.tickets.incidents },
      { label: t.requests, value: data.tickets.requests },
    ],
    { width: 360, height: 150 },
  );

  const view = {
    data,
    t,
    locale,
    subject,
    monthLabel,
    title: data.audience === 'INTERNAL' ? t.internalTitle : t.title,
    pct: (v: number | null) => formatPercent(v, locale),
    num: (v: number) => formatNumber(v, locale),
    mins: (v: number | null) => (v === null ? noData(locale) : formatMinutes(v, locale)),
    money: (cents: number) => formatMoney(cents, locale),
    when: (isoString: string) => formatInstant(Date.parse(isoString), tz, locale),
    gauge: gaugeSvg,
    evidence,
    blocks,
    ticketChart,
    weeklyCharts,
    noData: noData(locale),
  };
  const body = template()(view) as string;
  const html = `<!DOCTYPE html>\n<html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body style="margin:0;padding:16px;background:#f4f6f8;font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222">\n${body}\n</body></html>\n`;
  return { locale, subject, body, html };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
