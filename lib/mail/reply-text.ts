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

export function extractReplyText(input: string): ExtractedReply {
  const original = String(input ?? '').replace(/\r\n?/g, '\n');
  const lines = original.split('\n');
  const cut = cutIndex(lines);
  const head = cut >= 0 ? lines.slice(0, cut).join('\n') : original;
  let text: string;
  try {
    text = parser.parseReply(head);
  } catch {
    text = head; // the parser is best effort; never lose the text because of it
  }
  text = text.replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n').trim();
  return { text, trimmed: text !== original.trim() };
}
