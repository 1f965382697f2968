import { describe, expect, it } from 'vitest'
import { sanitizeEmailHtml } from '#app/domain/email-html.server.ts'

/** Real-world XSS shapes (OWASP cheat sheet, mXSS write-ups) as they arrive in email HTML. */
const CORPUS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<a href="javascript:alert(1)">a</a>',
  '<a href="jav&#x09;ascript:alert(1)">b</a>',
  '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">c</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>',
  '<svg onload=alert(1)><circle/></svg>',
  '<meta http-equiv="refresh" content="0;url=https://evil.example">',
  '<base href="https://evil.example/">',
  '<form action="https://evil.example"><input name=p type=password><button>Log in</button></form>',
  '<style>body{display:none}</style>',
  '<div style="background:url(https://evil.example/t.png)">e</div>',
  '<div style="width:expression(alert(1))">f</div>',
  '<div style="color: red; background-image: url(javascript:alert(1))">g</div>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
  '<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;&lt;img&Tab;src=1&Tab;onerror=alert(1)&gt;">',
  '<iframe src="https://evil.example"></iframe>',
  '<object data="x.swf"></object><embed src="x.swf">',
  '<xmp><script>alert(1)</script></xmp>',
  '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
  '<a href="https://ok.example" onclick="alert(1)">h</a>',
  '<details open ontoggle=alert(1)>i</details>',
]

describe('sanitizeEmailHtml', () => {
  it.each(CORPUS)('leaves nothing active in %s', (html) => {
    const out = sanitizeEmailHtml(`<p>before</p>${html}<p>after</p>`)
    expect(out).not.toMatch(
      /<script|<style|<meta|<base|<form|<input|<iframe|<object|<embed|<svg|<math|<noscript|<xmp/i,
    )
    expect(out).not.toMatch(/\son\w+\s*=/i)
    expect(out).not.toMatch(/javascript:|data:|expression\(|url\(/i)
    expect(out).toContain('<p>before</p>')
  })

  it('keeps formatting, safe styles, https links (opening elsewhere) and quote containers', () => {
    const out = sanitizeEmailHtml(
      '<div class="gmail_quote other" style="color: #333; position: fixed"><a href="https://example.com">x</a><img src="cid:abc"></div>',
    )
    expect(out).toBe(
      '<div class="gmail_quote" style="color:#333"><a href="https://example.com" target="_blank" rel="noopener noreferrer nofollow">x</a><img src="cid:abc" /></div>',
    )
  })
})

/** The colour and background a sanitized element ends with, from its style. */
function styleOf(html: string, tag: string) {
  const style = new RegExp(`<${tag}[^>]*style="([^"]*)"`).exec(html)?.[1] ?? ''
  return Object.fromEntries(style.split(';').map((d) => d.split(':').map((p) => p.trim())))
}

describe('sanitizeEmailHtml keeps a dark email readable', () => {
  it('keeps the body’s background and colour (the body becomes the frame’s div)', () => {
    const out = sanitizeEmailHtml(
      '<html><head><style>p{}</style></head><body bgcolor="#000" style="background:#000; color:#fff"><p>Your order shipped</p></body></html>',
    )
    expect(out).toBe(
      '<div class="sb-email-body" style="background-color:#000;color:#fff"><p>Your order shipped</p></div>',
    )
  })

  it('a body with bgcolor and text attributes only', () => {
    const out = sanitizeEmailHtml('<body bgcolor="#111111" text="#eeeeee"><p>Hi</p></body>')
    expect(styleOf(out, 'div')).toEqual({ 'background-color': '#111111', color: '#eeeeee' })
  })

  it('keeps a background shorthand’s colour (never its image)', () => {
    const out = sanitizeEmailHtml(
      '<div style="background:#1a1a2e url(https://evil.example/t.png) no-repeat;color:#ffffff">Dark card</div>',
    )
    expect(out).toBe('<div style="background-color:#1a1a2e;color:#ffffff">Dark card</div>')
    expect(out).not.toContain('url(')
  })

  it('turns bgcolor on any element into a background colour; tables keep theirs', () => {
    expect(sanitizeEmailHtml('<div bgcolor="#000000"><font color="#ffffff">White</font></div>')).toBe(
      // The frame's dark default text would be invisible on it: the div's own text turns white.
      '<div style="background-color:#000000;color:#ffffff"><font color="#ffffff">White</font></div>',
    )
    expect(
      sanitizeEmailHtml('<table bgcolor="#000"><tr><td><font color="#fff">x</font></td></tr></table>'),
    ).toBe(
      '<table bgcolor="#000" style="color:#ffffff"><tr><td><font color="#fff">x</font></td></tr></table>',
    )
  })

  it('gives text that would be invisible a readable colour: white on the white frame', () => {
    expect(sanitizeEmailHtml('<font color="#ffffff">white font</font>')).toBe(
      '<font style="color:#0f172a">white font</font>',
    )
    // The dark background was an image (or a <style> rule): the white text would sit on white.
    expect(
      sanitizeEmailHtml(
        '<td style="background-image:url(x.jpg)"><span style="color:#fff">On image</span></td>',
      ),
    ).toContain('<span style="color:#0f172a">On image</span>')
    // Same colour as its background, and dark text on a dark background.
    expect(sanitizeEmailHtml('<p style="background-color:#336699;color:#336699">same</p>')).toBe(
      '<p style="background-color:#336699;color:#ffffff">same</p>',
    )
    expect(sanitizeEmailHtml('<body style="background-color:black"><p>Default text</p></body>')).toBe(
      '<div class="sb-email-body" style="background-color:black;color:#ffffff"><p>Default text</p></div>',
    )
  })

  it('leaves readable and unknown colours alone', () => {
    expect(sanitizeEmailHtml('<p style="color:#777">grey</p>')).toBe('<p style="color:#777">grey</p>')
    expect(
      sanitizeEmailHtml('<div style="background-color:rebeccapurple"><p style="color:#fff">x</p></div>'),
    ).toBe('<div style="background-color:rebeccapurple"><p style="color:#fff">x</p></div>')
  })

  it('keeps what the email hid hidden (a preheader), its words still in the HTML', () => {
    for (const hide of [
      'display:none',
      'max-height:0;overflow:hidden',
      'font-size:0px',
      'opacity:0',
      'mso-hide:all;visibility:hidden',
    ]) {
      const out = sanitizeEmailHtml(`<div style="${hide}">Preheader words</div><p>Hello</p>`)
      expect(out, hide).toMatch(/^<div style="[^"]*display:none[^"]*">Preheader words<\/div><p>Hello<\/p>$/)
    }
    expect(sanitizeEmailHtml('<div style="display:block">x</div>')).toBe('<div>x</div>')
  })

  it('keeps our body class off the email’s own elements', () => {
    expect(sanitizeEmailHtml('<div class="sb-email-body gmail_quote">x</div>')).toBe(
      '<div class="gmail_quote">x</div>',
    )
  })
})
