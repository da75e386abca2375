import crypto from 'node:crypto';
import type * as FileTypeModule from 'file-type' with { 'resolution-mode': 'import' };

// An ES module, loaded with require() (Node >= 20.19 runs it natively; Jest compiles it to CommonJS).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { fileTypeFromBuffer } = require('file-type') as typeof FileTypeModule;

/**
 * What is kept of the files attached to inbound mail, and how they are served.
 * - Storage keys are generated here (random, `att/<yyyy>/<mm>/<uuid>`); the sender's filename
 *   is only a display name, cleaned of paths, control and reserved characters, bidi tricks, and
 *   cut to 150 characters (extension kept).
 * - The content type is what the bytes are (magic numbers, `file-type`), not what the sender
 *   claims; when the bytes match no known signature, text that decodes as UTF-8 is text/plain and
 *   anything else application/octet-stream.
 * - Refused (not stored, listed with the reason): executables and scripts by content (PE, ELF,
 *   Mach-O, shell scripts) or by extension (exe, js, vbs, ps1, bat, msi, lnk, hta, jar, scr...),
 *   macro-enabled Office files, files over the size limit, files beyond the count limit.
 * - Neutralised (stored, but served as application/octet-stream): HTML, SVG, XML and anything
 *   a browser could render as active content.
 * - Always served as a download: `Content-Disposition: attachment` with the display name
 *   (RFC 6266/5987 encoded), `X-Content-Type-Options: nosniff`, and a CSP that forbids
 *   everything (`downloadHeaders`).
 */
export interface AttachmentLimits {
  maxBytes: number;
  maxCount: number;
}

export interface IncomingAttachment {
  filename?: string | null;
  /** What the sender declared (informative only). */
  contentType?: string | null;
  content: Buffer;
  contentId?: string | null;
  /** Inline image (Content-Disposition: inline with a Content-ID). */
  inline?: boolean;
}

export interface AcceptedAttachment {
  storageKey: string;
  displayName: string;
  /** The verified type we serve (after neutralisation). */
  contentType: string;
  /** What the content really is (may differ from contentType when neutralised). */
  detectedType: string;
  declaredType: string | null;
  size: number;
  sha256: string;
  inline: boolean;
  contentId: string | null;
  neutralised: boolean;
  content: Buffer;
}

export interface RefusedAttachment {
  displayName: string;
  declaredType: string | null;
  size: number;
  reason: 'too-large' | 'too-many' | 'dangerous' | 'empty';
  detail: string;
}

const DANGEROUS_EXTENSIONS = new Set([
  'ade', 'adp', 'app', 'application', 'appx', 'appxbundle', 'bas', 'bat', 'cab', 'chm', 'cmd', 'com', 'cpl', 'crt', 'dll',
  'docm', 'dotm', 'exe', 'gadget', 'hlp', 'hta', 'inf', 'ins', 'iso', 'img', 'isp', 'jar', 'js', 'jse', 'ksh', 'lnk', 'mde',
  'msc', 'msi', 'msix', 'msp', 'mst', 'ocx', 'pif', 'potm', 'ppam', 'ppsm', 'pptm', 'ps1', 'ps1xml', 'ps2', 'psc1',
  'psm1', 'reg', 'scf', 'scr', 'sct', 'sh', 'shb', 'sys', 'url', 'vb', 'vbe', 'vbs', 'vhd', 'vhdx', 'vxd', 'ws', 'wsc',
  'wsf', 'wsh', 'xlam', 'xll', 'xlsm', 'xltm', 'xnk', 'command', 'desktop', 'apk', 'dmg', 'pkg', 'deb', 'rpm', 'run',
]);
const DANGEROUS_TYPES = new Set([
  'application/x-msdownload',
  'application/x-ms-installer',
  'application/x-msi',
  'application/x-elf',
  'application/x-mach-binary',
  'application/x-executable',
  'application/java-archive',
  'application/x-apple-diskimage',
  'application/vnd.microsoft.portable-executable',
  'application/x-sharedlib',
  'application/vnd.android.package-archive',
  'application/x-shockwave-flash',
  'application/x-ms-shortcut',
]);
/** Types a browser may render as active content: kept, served as opaque bytes. */
const ACTIVE_TYPES = /^(?:text\/html|application\/xhtml\+xml|image\/svg\+xml|application\/xml|text\/xml|text\/javascript|application\/javascript|application\/x-shockwave-flash)$/i;

/** A display name safe to show and to put in a header; never a path. */
export function sanitizeDisplayName(name: string | null | undefined, fallback = 'attachment'): string {
  let n = String(name ?? '')
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '') // control characters
    .replace(/[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '') // zero-width and bidi overrides (e.g. "gpj.exe")
    .replace(/^.*[\\/]/, '') // any path part
    .replace(/[<>:"|?*\\/]/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, ''); // no hidden files, no "..", no leading dots
  n = trimTrailingDotsAndSpaces(n); // Windows drops them, which turns "x.exe." into "x.exe"
  if (!n) n = fallback;
  if (n.length > 150) {
    const dot = n.lastIndexOf('.');
    const ext = dot > 0 && n.length - dot <= 16 ? n.slice(dot) : '';
    n = trimTrailingDotsAndSpaces(n.slice(0, 150 - ext.length)) + ext;
  }
  return n;
}

/** Linear (a `[.\s]+$` regular expression is quadratic on a long run of ". " pairs). */
function trimTrailingDotsAndSpaces(s: string): string {
  let end = s.length;
  while (end > 0 && (s[end - 1] === '.' || /\s/.test(s[end - 1]))) end--;
  return s.slice(0, end);
}

export function extensionOf(name: string): string {
  const m = /\.([a-z0-9]{1,16})$/i.exec(name);
  return m ? m[1].toLowerCase() : '';
}

export function newStorageKey(now = new Date()): string {
  const y = now.getUTCFullYear();
  const m = String(now.getUTCMonth() + 1).padStart(2, '0');
  return `att/${y}/${m}/${crypto.randomUUID()}`;
}

/** What the bytes are: a known signature, else text/plain for clean UTF-8, else octet-stream. */
export async function detectContentType(content: Buffer): Promise<string> {
  const found = await fileTypeFromBuffer(content);
  if (found) return found.mime;
  if (looksLikeScript(content)) return 'text/x-shellscript';
  if (looksLikeHtml(content)) return 'text/html';
  if (isUtf8Text(content)) return 'text/plain';
  return 'application/octet-stream';
}

function looksLikeScript(content: Buffer): boolean {
  return content.subarray(0, 2).toString('latin1') === '#!';
}

function looksLikeHtml(content: Buffer): boolean {
  const head = content.subarray(0, 512).toString('utf8').trimStart().toLowerCase();
  return /^(?:<!doctype html|<html|<head|<body|<script|<svg|<\?xml)/.test(head);
}

function isUtf8Text(content: Buffer): boolean {
  const sample = content.subarray(0, 64 * 1024);
  if (sample.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.length < content.length ? sample.subarray(0, lastBoundary(sample)) : sample);
    return true;
  } catch {
    return false;
  }
}

/** Do not cut a UTF-8 sequence in the middle when sampling. */
function lastBoundary(buf: Buffer): number {
  let i = buf.length;
  while (i > 0 && i > buf.length - 4 && (buf[i - 1] & 0xc0) === 0x80) i--;
  return i > 0 && buf[i - 1] >= 0xc0 ? i - 1 : buf.length;
}

/** Screens the attachments of one message, in order; limits apply in that order too. */
export async function screenAttachments(
  list: readonly IncomingAttachment[],
  limits: AttachmentLimits,
  now = new Date(),
): Promise<{ accepted: AcceptedAttachment[]; refused: RefusedAttachment[] }> {
  const accepted: AcceptedAttachment[] = [];
  const refused: RefusedAttachment[] = [];
  for (const a of list) {
    const content = a.content ?? Buffer.alloc(0);
    const displayName = sanitizeDisplayName(a.filename, a.inline ? 'image' : 'attachment');
    const declaredType = a.contentType ? a.contentType.split(';')[0].trim().toLowerCase() : null;
    const refuse = (reason: RefusedAttachment['reason'], detail: string) =>
      refused.push({ displayName, declaredType, size: content.length, reason, detail });
    if (content.length === 0) {
      refuse('empty', 'the file is empty');
      continue;
    }
    if (content.length > limits.maxBytes) {
      refuse('too-large', `${content.length} bytes, the limit is ${limits.maxBytes}`);
      continue;
    }
    const detectedType = await detectContentType(content);
    const ext = extensionOf(displayName);
    if (DANGEROUS_TYPES.has(detectedType) || detectedType === 'text/x-shellscript') {
      refuse('dangerous', `content is ${detectedType}`);
      continue;
    }
    if (DANGEROUS_EXTENSIONS.has(ext)) {
      refuse('dangerous', `.${ext} files are not accepted`);
      continue;
    }
    if (accepted.length >= limits.maxCount) {
      refuse('too-many', `only ${limits.maxCount} attachments are kept per message`);
      continue;
    }
    const neutralised = ACTIVE_TYPES.test(detectedType) || (declaredType !== null && ACTIVE_TYPES.test(declaredType));
    accepted.push({
      storageKey: newStorageKey(now),
      displayName,
      contentType: neutralised ? 'application/octet-stream' : detectedType,
      detectedType,
      declaredType,
      size: content.length,
      sha256: crypto.createHash('sha256').update(content).digest('hex'),
      // an "inline" part is shown inline only when it really is an image
      inline: Boolean(a.inline && a.contentId && /^image\/(?:png|jpeg|gif|webp|bmp)$/.test(detectedType)),
      contentId: a.contentId ? a.contentId.replace(/^<|>$/g, '').slice(0, 250) : null,
      neutralised,
      content,
    });
  }
  return { accepted, refused };
}

/**
 * Headers to serve a stored attachment: always a download, never sniffed, never rendered.
 * Use them for every attachment response, inline images included (the HTML view references them
 * as images, which `attachment` does not prevent).
 */
export function downloadHeaders(att: { displayName: string; contentType: string; size?: number }): Record<string, string> {
  const name = sanitizeDisplayName(att.displayName);
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  const type = /^[\w.+-]+\/[\w.+-]+$/.test(att.contentType) && !ACTIVE_TYPES.test(att.contentType) ? att.contentType : 'application/octet-stream';
  const headers: Record<string, string> = {
    'Content-Type': type,
    'Content-Disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(name)}`,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cache-Control': 'private, no-store',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
  if (att.size !== undefined) headers['Content-Length'] = String(att.size);
  return headers;
}

function encodeRfc5987(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
