import fs from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import { ValidationError } from '../../lib/errors';
import { htmlToPlainText } from '../../lib/mail/html';
import { replySubject, subjectWithTicket, ticketToken } from '../../lib/mail/subject';
import { MAIL_TEMPLATES, type MailLocale, type MailTemplate, type RenderedMail, type TemplateData, type TicketRef } from './gateway-types';

/**
 * Renders `templates/<name>.<locale>.ejs` (French or English, English when the contact's
 * language is anything else) into a subject, an HTML part and a text part (derived from the
 * HTML, so the two always say the same). Templates call `subject(...)` once; every value is
 * HTML-escaped (`<%= %>`); helpers: ticketNumber, ticketTag, ticketSubject, replySubject,
 * formatBytes, multiline (escaped, line breaks kept).
 */
export const TEMPLATES_DIR = path.resolve(__dirname, '..', '..', 'templates');
export const MAIL_LOCALES: readonly MailLocale[] = ['fr', 'en'];

/** Optional fields each template may leave out (EJS needs every name it reads to exist). */
const DEFAULTS: Record<MailTemplate, Record<string, unknown>> = {
  'ticket-acknowledgement': { contactName: null },
  'ticket-new-technician': { technicianName: null },
  'ticket-reply': {},
  'unknown-command': {},
  'oversize-rejection': {},
  'unknown-sender-rejection': {},
  'sla-notification': { ticket: null, fields: [] },
  'onboarding/welcome': {},
  'onboarding/go-live': {},
  'onboarding/feedback': {},
  'onboarding/request': {},
  'onboarding/reminder': {},
  'onboarding/escalation': {},
  'reports/monthly': {},
};

export function pickLocale(locale: string | null | undefined): MailLocale {
  const l = (locale ?? '').trim().toLowerCase().slice(0, 2);
  return (MAIL_LOCALES as readonly string[]).includes(l) ? (l as MailLocale) : 'en';
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} B`;
}

export interface TemplateRenderer {
  render<T extends MailTemplate>(template: T, locale: string | null | undefined, data: TemplateData[T], extra?: Record<string, unknown>): RenderedMail;
}

export function createTemplateRenderer(dir: string = TEMPLATES_DIR): TemplateRenderer {
  const cache = new Map<string, ejs.TemplateFunction>();
  const compiled = (template: MailTemplate, locale: MailLocale): ejs.TemplateFunction => {
    const file = path.join(dir, `${template}.${locale}.ejs`);
    let fn = cache.get(file);
    if (!fn) {
      fn = ejs.compile(fs.readFileSync(file, 'utf8'), { filename: file, strict: false, rmWhitespace: false });
      cache.set(file, fn);
    }
    return fn;
  };
  return {
    render(template, localeWanted, data, extra = {}) {
      if (!MAIL_TEMPLATES.includes(template)) throw new ValidationError(`unknown mail template: ${template}`);
      const locale = pickLocale(localeWanted);
      let subject: string | undefined;
      const locals = {
        ...DEFAULTS[template],
        ...extra,
        ...(data as object),
        locale,
        subject: (s: string) => {
          subject = String(s);
        },
        ticketNumber: (t: TicketRef) => `T-${t.id}`,
        ticketTag: (t: TicketRef) => ticketToken(t.id),
        ticketSubject: (t: TicketRef) => subjectWithTicket(t.subject, t.id),
        replySubject: (t: TicketRef) => replySubject(t.subject, t.id),
        formatBytes,
        /** Escaped text with its line breaks kept, for `<%- multiline(text) %>`. */
        multiline: (t: string) => escapeHtml(String(t ?? '')).replace(/\r?\n/g, '<br>\n'),
      };
      const html = compiled(template, locale)(locals) as string;
      if (!subject) throw new Error(`template ${template}.${locale} set no subject`);
      return {
        locale,
        // a subject is one line, whatever the data carried
        subject: subject.replace(/[\r\n\t]+/g, ' ').replace(/ {2,}/g, ' ').trim().slice(0, 250),
        html: wrapHtml(html, locale),
        text: htmlToPlainText(html),
      };
    },
  };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function wrapHtml(body: string, locale: MailLocale): string {
  return `<!DOCTYPE html>\n<html lang="${locale}"><head><meta charset="utf-8"></head><body style="font-family: Arial, sans-serif; font-size: 14px">\n${body.trim()}\n</body></html>\n`;
}
