import { describe, expect, it } from 'vitest'
import { sanitizeEmailHtml } from '#app/domain/email-html.server.ts'
import { quotedParts } from '#app/domain/email-quotes.server.ts'

/** The text of the elements quotedParts hides, as the frame's document would hide them. */
function hiddenText(raw: string) {
  const html = sanitizeEmailHtml(raw)
  const parts = quotedParts(html)
  if (!parts) return { hidden: [], label: undefined }
  return {
    hidden: parts.hiddenAt.map((at) => {
      const name = /^<([a-z0-9]+)/.exec(html.slice(html.lastIndexOf('<', at)))![1]
      if (name === 'hr') return 'hr:'
      // The hidden element's text up to its own closing tag.
      const rest = html.slice(at)
      let depth = 0
      let end = rest.length
      for (const tag of rest.matchAll(new RegExp(`<(/?)${name}\\b[^>]*>`, 'g'))) {
        if (!tag[1]) depth++
        else if (--depth < 0) {
          end = tag.index
          break
        }
      }
      const body = rest.slice(rest.indexOf('>') + 1, end)
      const text = body
        .replace(/<[^>]*>/g, ' ')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
      return `${name}:${text
        .replace(/&nbsp;/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()}`
    }),
    label: parts.label,
  }
}

const GMAIL_ATTR =
  '<div dir="ltr" class="gmail_attr">On Mon, Dec 7, 2026 at 9:00 AM Acme Support &lt;help@acme.example&gt; wrote:<br></div>'

describe('quotedParts: what of an HTML email is its quoted history', () => {
  it('a Gmail reply: the quote under the answer, labelled with its attribution', () => {
    const out = hiddenText(
      `<div dir="ltr">Thanks, that works.</div><br><div class="gmail_quote">${GMAIL_ATTR}<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex">Did the reset help?</blockquote></div>`,
    )
    expect(out.hidden).toHaveLength(1)
    expect(out.hidden[0]).toContain('Did the reset help?')
    expect(out.label).toBe(
      'earlier message (On Mon, Dec 7, 2026 at 9:00 AM Acme Support <help@acme.example> wrote:)',
    )
  })

  it('a Gmail forward with a line above it: nothing hidden', () => {
    const out = hiddenText(
      '<div dir="ltr">Your sales rep promised this price:<br><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>From: <strong class="gmail_sendername" dir="auto">Rep</strong> <span dir="auto">&lt;rep@acme.example&gt;</span><br>Subject: Quote<br></div><br><br><div dir="ltr">The price is $40 a seat.</div></div></div>',
    )
    expect(out).toEqual({ hidden: [], label: undefined })
  })

  it('answers written between the quoted lines stay with their questions; the last quote goes', () => {
    const q = (text: string) => `<blockquote class="gmail_quote">${text}</blockquote>`
    const out = hiddenText(
      `<div dir="ltr">Answers below.</div><div class="gmail_quote">${GMAIL_ATTR}${q('1. Your serial number?')}<div>ABC-123</div>${q('2. When did it start?')}<div>Tuesday</div>${q('Regards, Acme Support')}</div>`,
    )
    expect(out.hidden).toEqual(['blockquote:Regards, Acme Support'])
  })

  it('Outlook on the web: its marker and everything after it; a forward stays', () => {
    const reply = hiddenText(
      '<div class="elementToProof">Yes please.</div><div id="appendonsend"></div><hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>From:</b> Acme Support &lt;help@acme.example&gt;<br><b>Sent:</b> Monday<br><b>Subject:</b> RE: Refund</font><div>&nbsp;</div></div><div>Shall we refund you?</div>',
    )
    expect(reply.hidden).toEqual([
      'hr:',
      'div:From: Acme Support <help@acme.example> Sent: Monday Subject: RE: Refund',
      'div:Shall we refund you?',
    ])
    expect(reply.label).toBe('earlier message (From: Acme Support <help@acme.example>)')
    const forward = hiddenText(
      '<div>See what they sent.</div><div id="appendonsend"></div><hr><div id="divRplyFwdMsg" dir="ltr"><b>From:</b> Rep<br><b>Sent:</b> Monday<br><b>Subject:</b> FW: Price</div><div>$40 a seat</div>',
    )
    expect(forward.hidden).toEqual([])
  })

  it('Apple Mail’s forward (“Begin forwarded message:” above the quote) stays', () => {
    const out = hiddenText(
      '<div>FYI</div><div><br><div>Begin forwarded message:</div><br><blockquote type="cite"><div>Order 55 is late.</div></blockquote></div>',
    )
    expect(out.hidden).toEqual([])
  })

  it('a signature above the quote: both, named', () => {
    const out = hiddenText(
      `<div dir="ltr">Works now.<br clear="all"><br><div dir="ltr" class="gmail_signature">Casey | Kettles Ltd</div></div><br><div class="gmail_quote">${GMAIL_ATTR}<blockquote class="gmail_quote">Try again?</blockquote></div>`,
    )
    expect(out.hidden).toHaveLength(2)
    expect(out.label).toMatch(/^signature and earlier message \(On Mon/)
  })

  it('nothing set apart: no quote, or an email that is all quote', () => {
    expect(hiddenText('<p>Just a question.</p>')).toEqual({ hidden: [], label: undefined })
    expect(
      hiddenText(
        `<div class="gmail_quote">${GMAIL_ATTR}<blockquote class="gmail_quote">Old</blockquote></div>`,
      ),
    ).toEqual({ hidden: [], label: undefined })
  })
})
