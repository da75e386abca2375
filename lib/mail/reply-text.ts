import type EmailReplyParserClass from 'email-reply-parser' with { 'resolution-mode': 'import' };

// An ES module, loaded with require() (Node >= 20.19 runs it natively; Jest compiles it to CommonJS).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const EmailReplyParser: typeof EmailReplyParserClass = require('email-reply-parser').default;

/**
 * The new text of a reply, without the quoted history and the signature, for English and French
 * mail programs. The heavy lifting is `email-reply-parser` (Crisp's maintained port of GitHub's
 * parser, with French, German... header patterns: "On ... wrote:", "Le ... a écrit :",
 * "-----Original Message-----", "-----Message d'origine-----", Outlook "From:/Sent:" and
 * "De :/Envoyé :" blocks after a blank line, `>` quotes, "-- " signatures, "Sent from my iPhone",
 * "Envoyé de mon iPhone"). Before it runs, this module cuts at what it misses:
 * - an Outlook header block right under the text (no blank line before `De: ... [mailto:...]` /
 *   `From:` followed by `Envoyé:`/`Sent:`/`Date:` within the next lines);
 * - Outlook's separator line of underscores followed by such a block;
 * - mobile footers "Obtenir Outlook pour iOS/Android", "Télécharger Outlook...",
 *   "Envoyé depuis mon ..." and "Sent from Mail for Windows".
 * Forwarded messages ("---------- Forwarded message ---------", "Message transféré") are kept:
 * a client forwarding a mail to support means its content.
 * The full original is kept by the caller (the raw message is stored before any processing).
 */
export interface ExtractedReply {
  /** The reply without history and signature; '' when the message had nothing new. */
  text: string;
  /** True when something was removed. */
  trimmed: boolean;
}

const parser = new EmailReplyParser();

const HEADER_FROM = /^\s*\*?(?:from|de|von|van)\s*\*?\s*[:\uff1a]/i;
const HEADER_NEXT = /^\s*\*?(?:sent|envoy[ée]|date|gesendet|to|[àa]|cc|subject|objet)\s*\*?\s*[:\uff1a]/i;
const MOBILE_FOOTER =
  /^\s*(?:obtenir outlook pour (?:ios|android)|t[ée]l[ée]charger outlook pour (?:ios|android)|get outlook for (?:ios|android)|envoy[ée] depuis mon .{1,60}|envoy[ée] (?:de|à partir de) (?:mon |outlook ).{1,60}|sent from mail for windows.*|sent from (?:my |outlook ).{1,60})\s*$/i;
const UNDERSCORES = /^\s*_{10,}\s*$/;
const FORWARD_MARKER =
  /^\s*(?:-+\s*(?:forwarded message|message transf[ée]r[ée]|mail transf[ée]r[ée])\s*-*|begin forwarded message\s*:|d[ée]but du message r[ée]exp[ée]di[ée]\s*:)\s*$/i;

/** The index of the first line where quoted history or a footer starts, or -1. */
function cutIndex(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (FORWARD_MARKER.test(line)) return -1; // what follows is forwarded content, kept whole
    if (MOBILE_FOOTER.test(line)) return i;
    if (HEADER_FROM.test(line) && lines.slice(i + 1, i + 4).some((l) => HEADER_NEXT.test(l))) {
      return i > 0 && UNDERSCORES.test(lines[i - 1]) ? i - 1 : i;
    }
    if (UNDERSCORES.test(line) && lines.slice(i + 1, i + 3).some((l) => HEADER_FROM.test(l))) return i;
  }
  return -1;
}

/** Longest text handed to the parser; beyond it, only this module's own (linear) cuts apply. */
const PARSER_MAX_CHARS = 100_000;

/**
 * Trailing spaces removed and runs of blank lines squeezed to one, line by line: it loses nothing
 * a reader sees, and hostile mail with thousands of blank or whitespace lines no longer sends the
 * parser's regular expressions into super-linear backtracking (seconds to minutes per message).
 */
function squeeze(text: string): string {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' && out.length && out[out.length - 1] === '') continue;
    out.push(line);
  }
  return out.join('\n').trim();
}

/** A quote header ("On ... wrote:") is never this long; longer lines are hidden from the parser. */
const PARSER_MAX_LINE = 400;

/**
 * Runs `parse` with every over-long line replaced by a placeholder, then puts the lines back:
 * the parser's patterns (`.+\s.+` and the like) are quadratic in the length of a line.
 */
function withLongLinesHidden(text: string, parse: (t: string) => string): string {
  const hidden: string[] = [];
  const masked = text
    .split('\n')
    .map((line) => {
      if (line.length <= PARSER_MAX_LINE) return line;
      hidden.push(line);
      return `\u2063mspflow-long-line-${hidden.length - 1}\u2063`;
    })
    .join('\n');
  if (!hidden.length) return parse(text);
  return parse(masked).replace(/\u2063mspflow-long-line-(\d+)\u2063/g, (_, i: string) => hidden[Number(i)] ?? '');
}

export function extractReplyText(input: string): ExtractedReply {
  const original = squeeze(String(input ?? '').replace(/\r\n?/g, '\n'));
  const lines = original.split('\n');
  const cut = cutIndex(lines);
  const head = cut >= 0 ? lines.slice(0, cut).join('\n') : original;
  let text = head;
  if (head.length <= PARSER_MAX_CHARS) {
    try {
      text = withLongLinesHidden(head, (t) => parser.parseReply(t));
    } catch {
      text = head; // the parser is best effort; never lose the text because of it
    }
  }
  text = squeeze(text);
  return { text, trimmed: text !== original };
}
