/**
 * CSV for spreadsheets, safe against formula injection (OWASP "CSV Injection"): a text cell that
 * begins with = + - @ TAB or CR is prefixed with a single quote so Excel, LibreOffice and Google
 * Sheets show it as text instead of evaluating it. Numbers we format ourselves are written as
 * numbers. Every cell is then quoted per RFC 4180 when it holds a comma, quote or line break.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export type CsvCell = string | number | null | undefined;

export function neutraliseCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

function encodeCell(cell: CsvCell): string {
  if (cell === null || cell === undefined) return '';
  const text = typeof cell === 'number' ? (Number.isFinite(cell) ? String(cell) : '') : neutraliseCell(cell);
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: string[], rows: CsvCell[][]): string {
  return [header, ...rows].map((row) => row.map(encodeCell).join(',')).join('\r\n') + '\r\n';
}
