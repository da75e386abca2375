/** Number and date formatting for reports, French or English (pure; Intl only). */
export type ReportLocale = 'fr' | 'en';

export function reportLocale(locale: string | null | undefined): ReportLocale {
  return (locale ?? '').trim().toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

const tag = (l: ReportLocale) => (l === 'fr' ? 'fr-FR' : 'en-GB');

/** 97.5 → "97,5 %" (fr) / "97.5%" (en); null → the locale's "no data". */
export function formatPercent(value: number | null | undefined, locale: ReportLocale): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return noData(locale);
  const n = new Intl.NumberFormat(tag(locale), { maximumFractionDigits: 1 }).format(value);
  // plain spaces: some mail clients render U+202F badly
  return (locale === 'fr' ? `${n} %` : `${n}%`).replace(/[\u202f\u00a0]/g, ' ');
}

export function formatNumber(value: number, locale: ReportLocale, digits = 0): string {
  return new Intl.NumberFormat(tag(locale), { maximumFractionDigits: digits }).format(value).replace(/[\u202f\u00a0]/g, ' ');
}

/** Minutes as hours and minutes: 135 → "2 h 15" (fr) / "2h 15m" (en). */
export function formatMinutes(minutes: number, locale: ReportLocale): string {
  const sign = minutes < 0 ? '-' : '';
  const m = Math.abs(Math.round(minutes));
  const h = Math.floor(m / 60);
  const r = m % 60;
  if (locale === 'fr') return `${sign}${h} h ${String(r).padStart(2, '0')}`;
  return `${sign}${h}h ${String(r).padStart(2, '0')}m`;
}

export function formatMoney(cents: number, locale: ReportLocale, currency = 'EUR'): string {
  return new Intl.NumberFormat(tag(locale), { style: 'currency', currency }).format(cents / 100).replace(/[\u202f\u00a0]/g, ' ');
}

/** "mars 2026" / "March 2026" for YYYY-MM. */
export function formatMonth(month: string, locale: ReportLocale): string {
  const [y, m] = month.split('-').map(Number);
  return new Intl.DateTimeFormat(tag(locale), { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(Date.UTC(y, m - 1, 15));
}

/** An instant as a local date and time in the client's zone. */
export function formatInstant(epochMs: number, timezone: string, locale: ReportLocale): string {
  return new Intl.DateTimeFormat(tag(locale), { dateStyle: 'medium', timeStyle: 'short', timeZone: timezone }).format(epochMs).replace(/[\u202f\u00a0]/g, ' ');
}

export function noData(locale: ReportLocale): string {
  return locale === 'fr' ? 'pas de données' : 'no data';
}

/** Percentage with one decimal, or null when there is nothing to divide. */
export function percent(part: number, whole: number): number | null {
  if (!whole) return null;
  return Math.round((part / whole) * 1000) / 10;
}
