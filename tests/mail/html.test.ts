import { htmlToPlainText, sanitizeEmailHtml } from '../../lib/mail/html';

const clean = (html: string, opts = {}) => sanitizeEmailHtml(html, opts);

describe('HTML sanitising', () => {
  it('keeps formatting, tables and safe links', () => {
    const out = clean('<p style="color: red; text-align: center">Hi <b>there</b></p><table><tr><td colspan="2">x</td></tr></table><a href="https://ok.test/a">link</a>');
    expect(out).toContain('<p style="color:red;text-align:center">Hi <b>there</b></p>');
    expect(out).toContain('<td colspan="2">x</td>');
    expect(out).toContain('href="https://ok.test/a"');
    expect(out).toContain('rel="noopener noreferrer nofollow"');
  });

  it.each([
    ['<script>alert(1)</script>ok', 'alert'],
    ['<img src=x onerror="alert(1)">', 'onerror'],
    ['<a href="javascript:alert(1)">x</a>', 'javascript:'],
    ['<a href="JaVaScRiPt&colon;alert(1)">x</a>', 'alert'],
    ['<a href="vbscript:msgbox(1)">x</a>', 'vbscript'],
    ['<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', 'data:'],
    ['<img src="data:image/png;base64,iVBORw0KGgo=">', 'data:'],
    ['<iframe src="https://evil.test"></iframe>', 'iframe'],
    ['<object data="x.swf"></object><embed src="x.swf">', 'swf'],
    ['<form action="https://evil.test"><input name="pw"><button>go</button></form>', 'input'],
    ['<form action="https://evil.test">x</form>', 'evil'],
    ['<div style="background-image: url(https://evil.test/track.png)">x</div>', 'evil'],
    ['<div style="width: expression(alert(1))">x</div>', 'expression'],
    ['<style>body{background:url(https://evil.test)}</style>x', 'evil'],
    ['<link rel="stylesheet" href="https://evil.test/x.css">x', 'evil'],
    ['<meta http-equiv="refresh" content="0;url=https://evil.test">x', 'refresh'],
    ['<base href="https://evil.test/">x', 'evil'],
    ['<svg onload="alert(1)"><circle/></svg>x', 'onload'],
    ['<math><mi xlink:href="javascript:alert(1)">x</mi></math>', 'javascript'],
    ['<p onclick="steal()">x</p>', 'onclick'],
    ['<img src="https://tracker.test/pixel.gif" width="1">', 'tracker'],
    ['<a href="//evil.test/x">x</a>', 'evil'],
  ])('removes %s', (html, forbidden) => {
    expect(clean(html).toLowerCase()).not.toContain(forbidden.toLowerCase());
  });

  it('rewrites cid: images through the given URL maker and drops unknown ones', () => {
    const html = '<img src="cid:logo@x" alt="logo"><img src="cid:unknown@x">';
    const out = clean(html, { cidUrl: (cid: string) => (cid === 'logo@x' ? '/attachments/123/download' : null) });
    expect(out).toBe('<img alt="logo" src="/attachments/123/download" />');
  });

  it('shows remote images only when asked', () => {
    expect(clean('<img src="https://cdn.test/a.png">', { allowRemoteImages: true })).toBe('<img src="https://cdn.test/a.png" />');
    expect(clean('<img src="https://cdn.test/a.png">')).toBe('');
  });

  it('turns HTML into readable text', () => {
    const text = htmlToPlainText('<p>Bonjour,</p><p>L\'imprimante <b>HP</b> ne marche plus.<br>Voir <a href="https://x.test/doc">la doc</a>.</p><script>alert(1)</script>');
    expect(text).toContain('Bonjour,');
    expect(text).toContain("L'imprimante HP ne marche plus.");
    expect(text).toContain('la doc [https://x.test/doc]');
    expect(text).not.toContain('alert');
  });
});
