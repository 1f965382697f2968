import { render } from '@react-email/render'
import { createElement, type ReactElement } from 'react'
import { describe, expect, it } from 'vitest'
import { AccountLinkEmail } from '#app/emails/account-link.tsx'
import { AgentReplyEmail, agentReplyText, type AgentReplyProps } from '#app/emails/agent-reply.tsx'
import { NotificationEmail } from '#app/emails/notification.tsx'
import { TicketConfirmationEmail } from '#app/emails/ticket-confirmation.tsx'
import {
  renderAccountLink,
  renderAgentReply,
  renderNotification,
  renderTicketConfirmation,
} from '#app/domain/email-templates.server.ts'

// renderBoth renders each email once and converts that markup to text with one html-to-text
// converter built at first use; the agent reply's text is built from its props. Both parts must
// stay what React Email's own render(element) and render(element, { plainText: true }) give.
// The HTML is rendered in one synchronous pass (renderToStaticMarkup), which leaves out React's
// streaming markers; apart from those it must be React Email's document, byte for byte.
const STREAM_MARKERS = /<!--(?:\$|\/\$| )-->/g
async function reactEmail(element: ReactElement) {
  return {
    html: (await render(element)).replace(STREAM_MARKERS, ''),
    text: await render(element, { plainText: true }),
  }
}

describe('email bodies', () => {
  it('gives each paragraph of people’s text its own direction, so an agent’s Arabic reply reads right to left', async () => {
    const rendered = await renderAgentReply({
      subject: 'Refund',
      number: 7,
      body: 'مرحبا، وصل طلبك؟\n\nHello again.',
      signature: '',
      agentName: 'Dana',
      mailboxName: 'Acme Support',
      link: null,
      quoted: [{ author: 'سارة', at: 'Tue, 01 Dec 2026 10:00:00 UTC', body: 'أين طلبي؟' }],
    })
    for (const paragraph of ['مرحبا، وصل طلبك؟', 'Hello again.', 'أين طلبي؟']) {
      expect(rendered.html).toMatch(new RegExp(`<p dir="auto"[^>]*>${paragraph}</p>`))
    }
  })

  it('renders an agent reply with its quoted thread exactly as React Email renders both parts', async () => {
    const props = {
      number: 42,
      body: 'Hello <b>Casey</b> & co,\n\nYour refund is on its way: https://example.com/refunds?id=1&x=2\n\n> not a quote\n- a list?',
      signature: 'Dana, Acme Support\n\nDana Diaz\nTeam lead',
      link: 'https://help.example.com/support/t/abc',
      quoted: [
        {
          author: 'Casey <casey@example.net>',
          at: 'Tue, 01 Dec 2026 10:00:00 UTC',
          body: 'Where is it?\nStill waiting.',
        },
        { author: 'Dana', at: 'Mon, 30 Nov 2026 09:00:00 UTC', body: 'We are on it…' },
      ],
    }
    // Twice: the second call reuses the converter built by the first.
    for (let i = 0; i < 2; i++) {
      const rendered = await renderAgentReply({
        subject: 'Refund',
        number: props.number,
        body: props.body,
        signature: 'Dana, Acme Support',
        personalSignature: 'Dana Diaz\nTeam lead',
        agentName: 'Dana',
        mailboxName: 'Acme Support',
        link: props.link,
        quoted: props.quoted,
      })
      const expected = await reactEmail(createElement(AgentReplyEmail, props))
      expect(rendered.text).toBe(expected.text)
      expect(rendered.html).toBe(expected.html)
      expect(rendered.text).toContain('https://help.example.com/support/t/abc')
    }
  })

  it("renders an agent reply's text and HTML exactly as React Email does, whatever people typed", async () => {
    // Deterministic pseudo-random text over what changes a plain-text rendering: spaces, tabs,
    // CR/LF, blank and whitespace-only lines, a zero-width space, a no-break space, markup and
    // entity characters, quote and list markers, and words.
    let seed = 12345
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const pieces = [
      ' ',
      '  ',
      '\t',
      '\n',
      '\n\n',
      '\r\n',
      '\n \n',
      '\u200b',
      '\u00a0',
      '<b>',
      '&amp;',
      '>',
      '> ',
      '- ',
      'word',
      'Ünïcödé',
      '…',
      '#1',
      'https://x.test/a?b=1&c=2',
    ]
    const text = (max: number) =>
      Array.from({ length: Math.floor(next() * max) }, () => pieces[Math.floor(next() * pieces.length)]).join(
        '',
      )
    for (let i = 0; i < 150; i++) {
      const props: AgentReplyProps = {
        number: 1 + Math.floor(next() * 99999),
        body: `x${text(24)}`,
        signature: `${text(3)}Dana${text(8)}`,
        // Every other one without the private link (a reply with CC, a BCC recipient's copy).
        link: i % 2 === 0 ? 'https://help.example.com/support/t/abc' : null,
        quoted: Array.from({ length: Math.floor(next() * 3) }, () => ({
          author: `${text(2)}Casey${text(3)}`,
          at: 'Tue, 01 Dec 2026 10:00:00 UTC',
          body: text(16),
        })),
        // A third with files: attached, and too large to attach (named with where to get them).
        ...(i % 3 === 0
          ? {
              files: {
                attached: [{ filename: `${text(2)}report${text(3)}.pdf`, size: Math.floor(next() * 5e6) }],
                notAttached: i % 2 === 0 ? [] : [{ filename: `big ${text(2)}.zip`, size: 2e7 }],
              },
            }
          : {}),
      }
      const expected = await reactEmail(createElement(AgentReplyEmail, props))
      expect(agentReplyText(props), JSON.stringify(props)).toBe(expected.text)
      // The same through renderAgentReply (HTML included), with a signature it keeps as given.
      const rendered = await renderAgentReply({
        subject: 's',
        number: props.number,
        body: props.body,
        signature: 'Dana',
        agentName: 'Dana',
        mailboxName: 'Acme',
        link: props.link,
        quoted: props.quoted,
        files: props.files,
      })
      const plain = await reactEmail(createElement(AgentReplyEmail, { ...props, signature: 'Dana' }))
      expect(rendered.html, JSON.stringify(props)).toBe(plain.html)
      expect(rendered.text, JSON.stringify(props)).toBe(plain.text)
    }
  })

  it('renders the other emails exactly as React Email renders both parts', async () => {
    const confirmation = {
      customerName: 'Casey',
      subject: 'Kettle',
      number: 7,
      mailboxName: 'Acme',
      link: 'https://help.example.com/support/t/x',
    }
    expect(await renderTicketConfirmation(confirmation)).toEqual({
      subject: 'We received your request: Kettle [#7]',
      ...(await reactEmail(createElement(TicketConfirmationEmail, confirmation))),
    })
    const account = {
      intro: 'Confirm your address.',
      name: 'Ana',
      link: 'https://app.example.com/verify?t=1',
      linkLabel: 'Confirm',
      footnote: 'This link works for 24 hours.',
    }
    expect(await renderAccountLink({ subject: 'Confirm', ...account })).toEqual({
      subject: 'Confirm',
      ...(await reactEmail(createElement(AccountLinkEmail, account))),
    })
    const notification = {
      headline: 'Dana mentioned you on #42 “Printer on fire”',
      excerpt: '@ana can you check?',
      ticketLink: 'https://app.example.com/w/acme/tickets/42',
      unsubscribeLink: 'https://app.example.com/unsubscribe/x',
      kindLabel: 'mentions',
    }
    expect(await renderNotification({ subject: 'Mention', ...notification })).toEqual({
      subject: 'Mention',
      ...(await reactEmail(createElement(NotificationEmail, notification))),
    })
  })
})
