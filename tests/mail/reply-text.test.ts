import { htmlToPlainText } from '../../lib/mail/html';
import { extractReplyText } from '../../lib/mail/reply-text';

const cases: Array<[string, string, string]> = [
  ['Gmail English', 'Thanks, it works now.\n\nOn Mon, Feb 3, 2025 at 10:12 AM Support <support@example.test> wrote:\n> Please restart\n> the printer', 'Thanks, it works now.'],
  ['Gmail English, header wrapped on two lines', 'Ok\r\n\r\nOn Mon, Feb 3, 2025 at 10:12 AM Support Team <support@example.test>\r\nwrote:\r\n> hello', 'Ok'],
  ['Gmail French', 'Bonjour,\n\nÇa marche maintenant.\n\nLe lun. 3 févr. 2025 à 10:12, Support <support@example.test> a écrit :\n> Bonjour\n> redémarrez', 'Bonjour,\n\nÇa marche maintenant.'],
  ['Gmail French, header wrapped', 'Merci\n\nLe lun. 3 févr. 2025 à 10:12, Support Team\n<support@example.test> a écrit :\n> Bonjour', 'Merci'],
  ['Thunderbird French', 'Merci\n\nLe 03/02/2025 à 10:12, Jean a écrit :\n> x', 'Merci'],
  ['Outlook French', 'Merci, c\'est réglé.\n\nDe : Support <support@example.test>\nEnvoyé : lundi 3 février 2025 10:12\nÀ : Jean Dupont\nObjet : RE: [#T-5] Imprimante\n\nBonjour, redémarrez.', 'Merci, c\'est réglé.'],
  ['Outlook French with non-breaking spaces', 'Merci\n\nDe\u00a0: Support <support@example.test>\nEnvoyé\u00a0: lundi 3 février 2025 10:12\nÀ\u00a0: Jean\nObjet\u00a0: RE: test\n\nold', 'Merci'],
  ['Outlook English', 'Thanks\n\nFrom: Support <support@example.test>\nSent: Monday, February 3, 2025 10:12 AM\nTo: Jean\nSubject: RE: test\n\nold', 'Thanks'],
  ['Outlook block right under the text', 'Merci\nDe: Support [mailto:support@example.test]\nEnvoyé: lundi 3 février 2025 10:12\nÀ: Jean\nold text', 'Merci'],
  ['Outlook underscores separator', 'Merci\n\n________________________________\nDe : Support <support@example.test>\nEnvoyé : lundi\nold', 'Merci'],
  ['Message d\'origine', 'Merci\n\n-----Message d\'origine-----\nDe : Support\nold', 'Merci'],
  ['Original Message', 'Thanks\n\n-----Original Message-----\nFrom: Support\nold', 'Thanks'],
  ['> quotes at the end', 'Done.\n\n> did you try\n> turning it off', 'Done.'],
  ['-- signature', 'Yes please.\n\n-- \nJean Dupont\nACME Industries\n01 23 45 67 89', 'Yes please.'],
  ['Envoyé de mon iPhone', 'Oui merci\n\nEnvoyé de mon iPhone', 'Oui merci'],
  ['Sent from my iPhone', 'Yes\n\nSent from my iPhone', 'Yes'],
  ['Obtenir Outlook pour iOS', 'Ok\n\nObtenir Outlook pour iOS', 'Ok'],
  ['Envoyé depuis mon Galaxy', 'Ok\n\nEnvoyé depuis mon smartphone Samsung Galaxy.', 'Ok'],
  ['Get Outlook for Android', 'Ok\n\nGet Outlook for Android', 'Ok'],
  ['technician commands survive', '#status resolved\n#time 15m\nDone, the printer works.\n\nOn Mon, Feb 3, 2025 at 10:12 AM Support <support@example.test> wrote:\n> hello', '#status resolved\n#time 15m\nDone, the printer works.'],
];

describe('reply text', () => {
  it.each(cases)('%s', (_name, input, expected) => {
    const r = extractReplyText(input);
    expect(r.text).toBe(expected);
    expect(r.trimmed).toBe(true);
  });

  it('keeps a message with no history untouched, and keeps forwarded content', () => {
    expect(extractReplyText('Hello,\n\nThe printer is on fire.\nPlease help.')).toEqual({
      text: 'Hello,\n\nThe printer is on fire.\nPlease help.',
      trimmed: false,
    });
    const fwd = 'See below.\n\n---------- Forwarded message ---------\nFrom: Vendor <v@vendor.test>\nDate: Mon, Feb 3, 2025\nSubject: License\n\nYour license expires.';
    expect(extractReplyText(fwd).text).toContain('Your license expires.');
  });

  it('gives an empty text when the message is only quoted history', () => {
    expect(extractReplyText('Le 3 févr. 2025 à 10:12, Support <s@example.test> a écrit :\n\n> quoted only').text).toBe('');
    expect(extractReplyText('').text).toBe('');
  });
});

describe('reply text of HTML-only mail (converted to text first)', () => {
  it('Outlook French HTML reply', () => {
    const html =
      '<div><p>Bonjour,</p><p>C&#39;est bon pour moi.</p></div>' +
      '<div style="border-top:solid #E1E1E1 1.0pt"><p><b>De&nbsp;:</b> Support &lt;support@example.test&gt;<br>' +
      '<b>Envoyé&nbsp;:</b> lundi 3 février 2025 10:12<br><b>À&nbsp;:</b> Jean<br><b>Objet&nbsp;:</b> RE: [#T-5] VPN</p></div>' +
      '<p>Bonjour, pouvez-vous tester ?</p>';
    expect(extractReplyText(htmlToPlainText(html)).text).toBe("Bonjour,\n\nC'est bon pour moi.");
  });

  it('Gmail English HTML reply', () => {
    const html =
      '<div dir="ltr">Works now, thanks!</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Feb 3, 2025 at 10:12 AM Support &lt;<a href="mailto:support@example.test">support@example.test</a>&gt; wrote:<br></div>' +
      '<blockquote class="gmail_quote">Please try again.</blockquote></div>';
    expect(extractReplyText(htmlToPlainText(html)).text).toBe('Works now, thanks!');
  });
});
