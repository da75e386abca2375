import fc from 'fast-check';
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

describe('HTML sanitising (property)', () => {
  const piece = fc.constantFrom(
    '<script>alert(1)</script>',
    '<SCRIPT SRC=//evil.test/x.js></SCRIPT>',
    '<img src=x onerror=alert(1)>',
    '<img src="javascript:alert(1)">',
    '<img src="https://tracker.test/p.gif">',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<svg><script>alert(1)</script></svg>',
    '<form><input type=password></form>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<div style="behavior: url(x.htc)">x</div>',
    '<body onload=alert(1)>',
    '<<script>script>alert(1)<</script>/script>',
    '<!--<script>alert(1)</script>-->',
    '<p>text</p>',
    '<b>bold',
    '</div>',
    '<table><tr><td>cell',
    '&lt;script&gt;',
    '<a href="https://ok.test">ok</a>',
    '<img src="cid:part1">',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
  );

  it('no combination of hostile fragments leaves active content or a remote load', () => {
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 8 }), (parts) => {
        const out = sanitizeEmailHtml(parts.join(''), { cidUrl: () => '/attachments/1/download' }).toLowerCase();
        expect(out).not.toMatch(/<\s*(script|iframe|object|embed|form|input|style|svg|body|meta|link|base)\b/);
        expect(out).not.toMatch(/<[^>]*\son[a-z]+\s*=/);
        expect(out).not.toMatch(/(href|src)\s*=\s*"\s*(javascript|vbscript|data):/);
        expect(out).not.toMatch(/src\s*=\s*"(https?:)?\/\//);
        expect(out).not.toMatch(/url\s*\(|behavior/);
      }),
      { numRuns: 500 },
    );
  });
});
