import { and, asc, eq, isNull } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails, messages, tickets } from '#db/schema.ts'
import { draftInput } from '#app/ai/composer-assist.server.ts'
import { findCustomerTicket, replyThroughLink } from '#app/domain/customer-portal.server.ts'
import { withEmailLink } from '#app/domain/email-link.server.ts'
import { fileInboundEmail, storeInboundPost } from '#app/domain/inbound-email.server.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import type { parseEnv } from '#app/env.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import { asMember, createMember, createTicketFor, type TestMember } from '#tests/helpers/factories.ts'
import { rawModePost } from '#tests/helpers/inbound-post.ts'
import { callLoader } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Found by a tester sending real-world emails through the inbound route (2026-12): the text after
// a `--` or `____` line (an Outlook forward, a signature, Outlook's reply separator) reached the
// agent nowhere; inline answers lost their questions on the page and in our next reply's quote;
// a support-form message's pasted `> ERROR` lines were left out of that quote; an HTML-only
// email's table cells ran together and its blockquotes did not read as quoted.

const INBOUND = 'in.customer-words.test'
const envStore = globalThis as unknown as { __switchboardEnv?: ReturnType<typeof parseEnv> }
let n = 0

beforeAll(async () => {
  process.env.INBOUND_DOMAIN = INBOUND
  envStore.__switchboardEnv = undefined
  await startQueue(testDatabaseUrl)
})

type Body = { text: string } | { html: string }

/** A customer's email as their mail program sends it: a text part, or an HTML part alone. */
function eml(to: string, subject: string, body: Body) {
  const [type, content] = 'text' in body ? ['text/plain', body.text] : ['text/html', body.html]
  return Buffer.from(
    [
      'From: Ann Smith <ann@example.com>',
      `To: ${to}`,
      `Subject: ${subject}`,
      `Message-ID: <words-${++n}@example.com>`,
      'Date: Mon, 03 Mar 2025 10:30:00 +0000',
      'MIME-Version: 1.0',
      `Content-Type: ${type}; charset=utf-8`,
      'Content-Transfer-Encoding: 8bit',
      '',
      content.replace(/\n/g, '\r\n'),
      '',
    ].join('\r\n'),
  )
}

async function receive(to: string, subject: string, body: Body) {
  const post = rawModePost(eml(to, subject, body), { envelopeTo: [to] })
  const stored = await storeInboundPost(post.contentType, post.body)
  if (stored.kind !== 'stored') throw new Error(stored.kind)
  expect(await fileInboundEmail(stored.id)).toBe('filed')
}

/** A new ticket from an email to the workspace's mailbox; its number and the message. */
async function newTicketByEmail(member: TestMember, body: Body) {
  await receive(`${member.workspace.slug}.support@${INBOUND}`, `Question ${++n}`, body)
  const [ticket] = await getDb()
    .select({ id: tickets.id, number: tickets.number })
    .from(tickets)
    .where(eq(tickets.workspaceId, member.workspace.id))
    .orderBy(asc(tickets.number))
    .then((rows) => rows.slice(-1))
  return { ...ticket!, message: (await customerMessages(ticket!.id)).at(-1)! }
}

/** The customer's email answering the ticket through its reply address. */
async function answerByEmail(member: TestMember, ticketId: string, body: Body) {
  const [{ replyToken, number }] = await getDb()
    .select({ replyToken: tickets.replyToken, number: tickets.number })
    .from(tickets)
    .where(eq(tickets.id, ticketId))
  await receive(
    `${member.workspace.slug}.support+${replyToken}@${INBOUND}`,
    `Re: Question [#${number}]`,
    body,
  )
  return (await customerMessages(ticketId)).at(-1)!
}

function customerMessages(ticketId: string) {
  return getDb()
    .select()
    .from(messages)
    .where(and(eq(messages.ticketId, ticketId), isNull(messages.authorUserId)))
    .orderBy(asc(messages.createdAt), asc(messages.id))
}

/** The message as the ticket page gives it to the thread component. */
async function shown(member: TestMember, number: number, messageId: string) {
  const page = await callLoader(ticketRoute, `/w/${member.workspace.slug}/tickets/${number}`, {
    cookie: member.cookie,
    params: { slug: member.workspace.slug, number: String(number) },
  })
  expect(page.status).toBe(200)
  const message = page.data.thread.find((m: { id: string }) => m.id === messageId)
  return message.inbound as { hasHtml: boolean; visibleText: string; quotedText: string }
}

/** An agent's reply; the text of the email it queued. */
async function replyText(member: TestMember, number: number, body = 'Thanks, noted.') {
  const outcome = await replyToTicket(asMember(member), number, { kind: 'reply', body })
  if (outcome.kind !== 'sent') throw new Error(outcome.kind)
  const [email] = await getDb().select().from(emails).where(eq(emails.messageId, outcome.messageId))
  return withEmailLink(email!.text, email!.linkId)
}

/** What the AI draft is told each customer message says. */
async function draftedFrom(member: TestMember, number: number) {
  const { input } = await draftInput({ ...asMember(member), user: { name: member.user.name } }, number, {
    language: null,
    useNotes: false,
    instruction: null,
    previousDraft: null,
  })
  return input.thread.filter((m) => m.from === 'customer').map((m) => m.text)
}

/** The quoted lines of the newest message in a reply email's text (after its last "wrote:"). */
function quoteOfNewest(text: string) {
  const at = text.indexOf('wrote:\n\n')
  return text.slice(at + 'wrote:\n\n'.length).split('\n\n')[0]
}

const OUTLOOK_FORWARD = `Please see the courier's message below.

________________________________
From: Speedy Couriers <noreply@speedy.example>
Sent: Monday, March 3, 2025 10:12 AM
To: Ann Smith <ann@example.com>
Subject: Delivery attempt failed

We tried to deliver parcel 4411 today but nobody was home.
Please book a new slot at the depot.`

const DASH_SIGNATURE = `Hi,
The invoice total is wrong: it should be 120 EUR.

-- 
Ann Smith
Head of Purchasing, Example Ltd
+44 20 7946 0000`

const OUTLOOK_REPLY = `Thanks, that fixed it.

____
From: Acme Support <support@acme.example>
Sent: Monday, March 3, 2025 11:02 AM
To: Ann Smith <ann@example.com>
Subject: RE: Question

Hi Ann, please clear the cache and try again.`

const INLINE_ANSWERS = `> Do you want a refund?
Replacement please.
> Same address?
No - ship to 12 Oak St, Leeds.`

const INLINE_HISTORY = `On Mon, 3 Mar 2025 at 10:00, Acme Support <support@acme.example> wrote:
> Hi Ann,
> Do you want a refund?
> Same address?`

describe('a plain-text email with a `--` or `____` line', () => {
  it('shows the text after it under "Show quoted text": an Outlook forward, a `-- ` signature, a reply separator', async () => {
    const m = await createMember()
    const forward = await newTicketByEmail(m, { text: OUTLOOK_FORWARD })
    expect(forward.message.bodyText).toBe(OUTLOOK_FORWARD)
    expect(await shown(m, forward.number, forward.message.id)).toMatchObject({
      hasHtml: false,
      visibleText: "Please see the courier's message below.",
      quotedText: OUTLOOK_FORWARD.slice(OUTLOOK_FORWARD.indexOf('_')),
    })

    const signed = await newTicketByEmail(m, { text: DASH_SIGNATURE })
    expect(await shown(m, signed.number, signed.message.id)).toMatchObject({
      visibleText: 'Hi,\nThe invoice total is wrong: it should be 120 EUR.',
      quotedText: '-- \nAnn Smith\nHead of Purchasing, Example Ltd\n+44 20 7946 0000',
    })

    const answer = await answerByEmail(m, signed.id, { text: OUTLOOK_REPLY })
    expect(await shown(m, signed.number, answer.id)).toMatchObject({
      visibleText: 'Thanks, that fixed it.',
      quotedText: OUTLOOK_REPLY.slice(OUTLOOK_REPLY.indexOf('____')),
    })

    // Our reply quotes what they wrote above the line, as before.
    expect(quoteOfNewest(await replyText(m, signed.number))).toBe('> Thanks, that fixed it.')
  })

  it('is shown whole when nothing is above the line', async () => {
    const m = await createMember()
    const bare = OUTLOOK_FORWARD.slice(OUTLOOK_FORWARD.indexOf('_'))
    const ticket = await newTicketByEmail(m, { text: bare })
    expect(await shown(m, ticket.number, ticket.message.id)).toMatchObject({
      visibleText: bare,
      quotedText: '',
    })
  })
})

describe('inline answers between quoted lines', () => {
  it('are shown in order with their questions, and quoted with them in our reply and to the AI', async () => {
    const m = await createMember()
    const ticket = await createTicketFor(m, { customerEmail: 'ann@example.com' })
    const answer = await answerByEmail(m, ticket.ticketId, { text: `${INLINE_ANSWERS}\n\n${INLINE_HISTORY}` })
    expect(await shown(m, ticket.number, answer.id)).toMatchObject({
      visibleText: INLINE_ANSWERS,
      quotedText: INLINE_HISTORY,
    })
    expect(quoteOfNewest(await replyText(m, ticket.number))).toBe(
      '> > Do you want a refund?\n> Replacement please.\n> > Same address?\n> No - ship to 12 Oak St, Leeds.',
    )
    expect((await draftedFrom(m, ticket.number)).at(-1)).toBe(INLINE_ANSWERS)
  })
})

describe('a message from the support form or the private-link page', () => {
  it('is quoted as written, its lines starting with `>` included, in our reply and to the AI', async () => {
    const m = await createMember()
    const formText =
      'The device fails to boot. The log says:\n> ERROR 42: disk not found\n> ERROR 43: retrying'
    const ticket = await createTicketFor(m, { customerEmail: 'ann@example.com', body: formText })
    const first = await replyText(m, ticket.number, 'Which model is it?')
    expect(quoteOfNewest(first)).toBe(formText.replace(/^/gm, '> '))

    const token = /\/support\/t\/([^\s/?#]+)/.exec(first)![1]!
    const linkText = 'Model X2. Today it printed:\n> ERROR 44: fan stalled'
    const outcome = await replyThroughLink((await findCustomerTicket(token))!, linkText, [])
    expect(outcome.kind).toBe('sent')
    expect(quoteOfNewest(await replyText(m, ticket.number))).toBe(linkText.replace(/^/gm, '> '))
    expect(await draftedFrom(m, ticket.number)).toEqual([formText, linkText])
  })
})

describe('an HTML-only email', () => {
  it("keeps its table's cells apart and marks its blockquotes with `>`", async () => {
    const m = await createMember()
    const ticket = await newTicketByEmail(m, {
      html:
        '<p>Wrong items:</p><table>\n  <tr><th>SKU</th><th>Qty</th></tr>\n  <tr><td>A-1002</td><td>3</td></tr>\n</table>' +
        '<div>Regards, Ann</div><div class="gmail_quote"><div>On Mon, 3 Mar 2025 at 10:00, Acme Support &lt;support@acme.example&gt; wrote:<br></div>' +
        '<blockquote class="gmail_quote"><div>Hi Ann,</div><div><br></div><div>Which items?</div><blockquote>Earlier</blockquote></blockquote></div>',
    })
    expect(ticket.message.bodyText).toBe(
      [
        'Wrong items:',
        'SKU\tQty',
        'A-1002\t3',
        'Regards, Ann',
        'On Mon, 3 Mar 2025 at 10:00, Acme Support <support@acme.example> wrote:',
        '> Hi Ann,',
        '>',
        '> Which items?',
        '> > Earlier',
      ].join('\n'),
    )
    // Our reply leaves the history they quoted out, as for a text part (the email's text part
    // is rendered from its HTML, which shows a tab as a space).
    expect(quoteOfNewest(await replyText(m, ticket.number))).toBe(
      '> Wrong items:\n> SKU Qty\n> A-1002 3\n> Regards, Ann',
    )
  })

  it('with inline answers in blockquotes, is quoted in order with its questions', async () => {
    const m = await createMember()
    const ticket = await createTicketFor(m, { customerEmail: 'ann@example.com' })
    const answer = await answerByEmail(m, ticket.ticketId, {
      html:
        '<blockquote type="cite"><p>Do you want a refund?</p></blockquote><p>Replacement please.</p>' +
        '<blockquote type="cite"><p>Same address?</p></blockquote><p>No - ship to 12 Oak St, Leeds.</p>',
    })
    expect(answer.bodyText).toBe(INLINE_ANSWERS)
    expect(quoteOfNewest(await replyText(m, ticket.number))).toBe(
      '> > Do you want a refund?\n> Replacement please.\n> > Same address?\n> No - ship to 12 Oak St, Leeds.',
    )
  })
})
