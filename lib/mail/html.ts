import { convert } from 'html-to-text';
import sanitizeHtml from 'sanitize-html';

/**
 * HTML from mail is hostile. What survives `sanitizeEmailHtml` (sanitize-html, allow-list):
 * - formatting and structure tags (p, div, span, b, i, u, lists, tables, headings, blockquote,
 *   pre, code, hr, br, a, img, font...) with presentational attributes only;
 * - links: http, https and mailto only, opened with rel="noopener noreferrer nofollow" and
 *   target="_blank";
 * - images: `cid:` references to the message's own inline parts, rewritten through `cidUrl`
 *   (to our download URL) or dropped; remote images are dropped unless `allowRemoteImages`
 *   (loading them tells the sender the mail was read); `data:` URLs never;
 * - inline `style` attributes with a short list of harmless properties (colours, fonts, text
 *   alignment, margins, borders, widths), and no url(), expression() or behaviours;
 * Removed: script, style, iframe, object, embed, form and its controls, meta, link, base, svg,
 * math, every `on*` handler, `javascript:`/`vbscript:`/`data:` URLs, and the content of
 * script/style/title/head.
 */
export interface SanitizeOptions {
  /** Map a `cid:` reference (without the `cid:` prefix) to a URL, or null to drop the image. */
  cidUrl?: (contentId: string) => string | null;
  /** Keep remote (http/https) images; off by default. */
  allowRemoteImages?: boolean;
}

const SAFE_CSS_VALUE = /^(?!.*(?:url\s*\(|expression\s*\(|javascript:|behavior|-moz-binding|@import|\\)).{0,200}$/i;
const cssProps = [
  'color', 'background-color', 'font-family', 'font-size', 'font-weight', 'font-style', 'text-align',
  'text-decoration', 'line-height', 'margin', 'margin-top', 'margin-bottom', 'margin-left', 'margin-right',
  'padding', 'padding-top', 'padding-bottom', 'padding-left', 'padding-right', 'border', 'border-collapse',
  'border-top', 'border-bottom', 'border-left', 'border-right', 'width', 'height', 'max-width', 'vertical-align',
  'white-space', 'list-style-type', 'text-indent',
];

const TAGS = [
  'a', 'abbr', 'b', 'blockquote', 'br', 'caption', 'center', 'code', 'col', 'colgroup', 'dd', 'del', 'div', 'dl',
  'dt', 'em', 'font', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'img', 'ins', 'kbd', 'li', 'mark', 'ol', 'p',
  'pre', 'q', 's', 'small', 'span', 'strike', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th',
  'thead', 'tr', 'tt', 'u', 'ul',
];

export function sanitizeEmailHtml(html: string, opts: SanitizeOptions = {}): string {
  return sanitizeHtml(String(html ?? ''), {
    allowedTags: TAGS,
    disallowedTagsMode: 'discard',
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head', 'xmp', 'iframe', 'object', 'template', 'svg', 'math'],
    allowedAttributes: {
      '*': ['style', 'title', 'dir', 'lang', 'align', 'valign', 'width', 'height'],
      a: ['href', 'name', 'target', 'rel'],
      img: ['src', 'alt', 'width', 'height'],
      font: ['color', 'face', 'size'],
      table: ['border', 'cellpadding', 'cellspacing', 'bgcolor'],
      td: ['colspan', 'rowspan', 'bgcolor', 'nowrap'],
      th: ['colspan', 'rowspan', 'bgcolor', 'scope'],
      ol: ['start', 'type'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['cid', 'http', 'https'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
    allowProtocolRelative: false,
    allowedStyles: { '*': Object.fromEntries(cssProps.map((p) => [p, [SAFE_CSS_VALUE]])) },
    transformTags: {
      a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer nofollow' } }),
      img: (tagName, attribs) => ({ tagName, attribs: imageAttributes(attribs, opts) }),
    },
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  } as sanitizeHtml.IOptions);
}

/** cid: images → our URL (or nothing); remote images only when allowed; anything else dropped. */
function imageAttributes(attribs: sanitizeHtml.Attributes, opts: SanitizeOptions): sanitizeHtml.Attributes {
  const src = (attribs.src ?? '').trim();
  const out = { ...attribs };
  delete out.src;
  if (/^cid:/i.test(src)) {
    const url = opts.cidUrl?.(src.slice(4).replace(/^<|>$/g, '')) ?? null;
    if (url) out.src = url;
  } else if (opts.allowRemoteImages && /^https?:\/\//i.test(src)) {
    out.src = src;
  }
  return out;
}

/** Plain text of an HTML body (for mail without a text part), links shown as `text [url]`. */
export function htmlToPlainText(html: string): string {
  return convert(String(html ?? ''), {
    wordwrap: false,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true, ignoreHref: false } },
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
  })
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
