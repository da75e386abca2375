import fs from 'node:fs';
import { MAIL_TEMPLATES, type MailTemplate, type TemplateData } from '../../activities/mail/gateway-types';
import { createTemplateRenderer, pickLocale, TEMPLATES_DIR } from '../../activities/mail/templates';

const EVIL = '<script>alert(1)</script>"\'&';
const ticket = { id: 42, subject: `Printer ${EVIL}`, priority: 'P2', clientName: `ACME ${EVIL}` };
const onboarding = { clientName: `ACME ${EVIL}`, contactName: `Jean ${EVIL}`, msp: 'MSP', supportAddress: 'support@msp.test' };
const samples: { [T in MailTemplate]: TemplateData[T] } = {
  'ticket-acknowledgement': { ticket, contactName: `Jean ${EVIL}` },
  'ticket-new-technician': { ticket, requester: { name: 'Jean', email: 'jean@client.test' }, bodyText: `It burns ${EVIL}` },
  'ticket-reply': { ticket, bodyText: `Restart it ${EVIL}`, technicianName: `Alice ${EVIL}` },
  'unknown-command': { ticket, errors: [{ text: '#stauts x', message: `Unknown command ${EVIL}` }] },
  'oversize-rejection': { originalSubject: `Big ${EVIL}`, sizeBytes: 30 * 1024 * 1024, maxBytes: 25 * 1024 * 1024 },
  'unknown-sender-rejection': { originalSubject: `Hello ${EVIL}` },
  'sla-notification': {
    title: 'T-42 P2: resolution SLA breached',
    text: `ACME: VPN down ${EVIL}`,
    severity: 'critical',
    ticket: { id: 42, number: 'T-42', subject: 'VPN down' },
    fields: [{ name: 'Due', value: '2025-02-03 10:00' }],
  },
  'onboarding/welcome': { ...onboarding, welcomeUrl: 'https://msp.test/welcome' },
  'onboarding/go-live': onboarding,
  'onboarding/feedback': { ...onboarding, feedbackUrl: 'https://msp.test/feedback' },
  'onboarding/request': { ...onboarding, itemTitle: `Network diagrams ${EVIL}` },
  'onboarding/reminder': { ...onboarding, itemTitle: `Network diagrams ${EVIL}`, dueDate: '2025-02-03' },
  'onboarding/escalation': { ...onboarding, managerName: `Olivia ${EVIL}`, itemTitle: `Network diagrams ${EVIL}`, ownerRole: 'client', dueDate: '2025-02-03' },
  // the body is rendered (and escaped) by activities/reports/render.ts, tested in tests/reports/
  'reports/monthly': { reportSubject: `ACME: monthly report ${EVIL}`, reportBody: '<table><tr><td>Monthly service report of ACME Industries</td></tr></table>' },
};

/** EJS files under templates/ that are not mail templates: the report body the monthly report mail carries. */
const NOT_MAIL = ['reports/report.ejs'];

describe('mail templates', () => {
  const renderer = createTemplateRenderer();

  it('exist for every template in French and English, and nothing else is in templates/', () => {
    const expected = MAIL_TEMPLATES.flatMap((t) => [`${t}.en.ejs`, `${t}.fr.ejs`]).sort();
    const files = (fs.readdirSync(TEMPLATES_DIR, { recursive: true }) as string[]).filter((f) => f.endsWith('.ejs') && !NOT_MAIL.includes(f)).sort();
    expect(files).toEqual(expected);
  });

  it.each(MAIL_TEMPLATES.flatMap((t) => [[t, 'fr'], [t, 'en']] as Array<[MailTemplate, string]>))(
    '%s (%s) renders a one-line subject, HTML with every value escaped, and a text part',
    (template, locale) => {
      const r = renderer.render(template, locale, samples[template] as never);
      expect(r.locale).toBe(locale);
      expect(r.subject).not.toMatch(/[\r\n]/);
      expect(r.subject.length).toBeGreaterThan(3);
      expect(r.html).not.toContain('<script>');
      expect(r.html).toContain(`<html lang="${locale}">`);
      expect(r.text.length).toBeGreaterThan(10);
      expect(r.text).not.toContain('<p>');
    },
  );

  it('speaks the contact\'s language, English otherwise', () => {
    const fr = renderer.render('ticket-acknowledgement', 'fr', samples['ticket-acknowledgement']);
    expect(fr.text).toContain('Nous avons bien reçu votre demande');
    expect(fr.subject).toBe(`[#T-42] Printer ${EVIL}`);
    expect(renderer.render('ticket-acknowledgement', 'de', samples['ticket-acknowledgement']).text).toContain('We have received your request');
    expect(pickLocale('fr-CA')).toBe('fr');
    expect(pickLocale(null)).toBe('en');
    expect(pickLocale('EN')).toBe('en');
  });

  it('relays a technician reply threaded by subject and keeps its text as written', () => {
    const r = renderer.render('ticket-reply', 'en', { ticket: { id: 7, subject: 'RE: TR: VPN' }, bodyText: 'Line 1\nLine 2 <b>', technicianName: 'Alice' });
    expect(r.subject).toBe('Re: [#T-7] VPN');
    expect(r.text).toContain('Line 1\nLine 2 <b>');
    expect(r.html).toContain('Line 2 &lt;b&gt;');
  });

  it('refuses an unknown template', () => {
    expect(() => renderer.render('nope' as MailTemplate, 'en', {} as never)).toThrow(/unknown mail template/);
  });
});
