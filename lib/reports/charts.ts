/**
 * Charts as inline SVG strings (pure). Every text is escaped; sizes fixed so mail clients that
 * render SVG and Chromium's PDF show the same picture. (Clients that drop SVG, e.g. Outlook
 * desktop, still get the numbers: every chart sits beside the table it draws.)
 */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface Bar {
  label: string;
  value: number;
  /** Drawn paler beside the bar (e.g. the previous period). */
  previous?: number | null;
}

/** Vertical bars with an optional horizontal reference line (e.g. the contract's weekly average). */
export function barChartSvg(bars: Bar[], opts: { width?: number; height?: number; line?: number | null; lineLabel?: string; max?: number } = {}): string {
  const width = opts.width ?? 520;
  const height = opts.height ?? 180;
  const pad = { top: 14, bottom: 30, left: 8, right: 8 };
  const plotH = height - pad.top - pad.bottom;
  const max = Math.max(opts.max ?? 0, opts.line ?? 0, ...bars.map((b) => Math.max(b.value, b.previous ?? 0)), 1);
  const slot = (width - pad.left - pad.right) / Math.max(bars.length, 1);
  const barW = Math.max(4, Math.min(48, slot * 0.38));
  const y = (v: number) => pad.top + plotH - (v / max) * plotH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`);
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<line x1="${pad.left}" y1="${y(0)}" x2="${width - pad.right}" y2="${y(0)}" stroke="#999" stroke-width="1"/>`);
  bars.forEach((b, i) => {
    const cx = pad.left + slot * i + slot / 2;
    if (b.previous !== undefined && b.previous !== null) {
      parts.push(`<rect x="${(cx - barW).toFixed(1)}" y="${y(b.previous).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(0) - y(b.previous)).toFixed(1)}" fill="#c7d7ea"/>`);
      parts.push(`<rect x="${cx.toFixed(1)}" y="${y(b.value).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(0) - y(b.value)).toFixed(1)}" fill="#2f6db3"/>`);
    } else {
      parts.push(`<rect x="${(cx - barW / 2).toFixed(1)}" y="${y(b.value).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(0) - y(b.value)).toFixed(1)}" fill="#2f6db3"/>`);
    }
    parts.push(`<text x="${cx.toFixed(1)}" y="${height - 10}" font-family="Arial, sans-serif" font-size="10" text-anchor="middle" fill="#333">${escapeXml(b.label.slice(0, 18))}</text>`);
  });
  if (opts.line !== undefined && opts.line !== null) {
    parts.push(`<line x1="${pad.left}" y1="${y(opts.line).toFixed(1)}" x2="${width - pad.right}" y2="${y(opts.line).toFixed(1)}" stroke="#d9534f" stroke-width="1.5" stroke-dasharray="5,3"/>`);
    if (opts.lineLabel) parts.push(`<text x="${width - pad.right}" y="${(y(opts.line) - 3).toFixed(1)}" font-family="Arial, sans-serif" font-size="10" text-anchor="end" fill="#d9534f">${escapeXml(opts.lineLabel)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** A horizontal gauge for a percentage (0-100), null drawn as an empty grey track. */
export function gaugeSvg(value: number | null, opts: { width?: number } = {}): string {
  const width = opts.width ?? 120;
  const filled = value === null ? 0 : Math.max(0, Math.min(100, value)) / 100 * width;
  const color = value === null ? '#ccc' : value >= 95 ? '#3c9a4e' : value >= 80 ? '#e0a100' : '#d9534f';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="10" viewBox="0 0 ${width} 10"><rect x="0" y="0" width="${width}" height="10" rx="3" fill="#eee"/><rect x="0" y="0" width="${filled.toFixed(1)}" height="10" rx="3" fill="${color}"/></svg>`;
}
