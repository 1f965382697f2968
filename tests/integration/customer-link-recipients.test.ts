import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { contacts, customerLinks, emails, messages } from '#db/schema.ts'
import { recordDeliveryEvents } from '#app/domain/delivery-events.server.ts'
import { deliverEmail, TransientDeliveryError } from '#app/domain/email.server.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { upsertContact } from '#app/domain/tickets.server.ts'
import { NO_LINK_LINE } from '#app/emails/agent-reply.tsx'
import * as linkRoute from '#app/routes/support.t.$token.tsx'
import { deliveredCopies, type SendGridMail } from '#tests/fakes/sendgrid.ts'
import { withFakeSendGrid } from '#tests/helpers/email-attempts.ts'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { callLoader } from '#tests/helpers/routes.ts'

// Who gets the customer's private link (/support/t/<token>): only a copy that reaches the
// customer alone. Anyone holding it reads the thread for 180 days and answers as the customer.

const fake = withFakeSendGrid()

const LINK = /\/support\/t\/([A-Za-z0-9_-]+)/

type Member = Awaited<ReturnType<typeof createMember>>

/** An agent reply, its email sent through the fake SendGrid; the mail as SendGrid took it. */
async function sendReply(member: Member, number: number, extra: { cc?: string[]; bcc?: string[] } = {}) {
  const outcome = await replyToTicket(asMember(member), number, {
    kind: 'reply',
    body: 'It ships tomorrow.',
    ...extra,
  })
  if (outcome.kind !== 'sent') throw new Error(outcome.kind)
  const [email] = await getDb().select().from(emails).where(eq(emails.messageId, outcome.messageId))
  fake.reset()
  expect((await deliverEmail(email.id, email.jobId!)).outcome).toBe('sent')
  expect(fake.accepted).toHaveLength(1)
  return { mail: fake.accepted[0], email, messageId: outcome.messageId }
}

const linksOf = async (ticketId: string) =>
  (
    await getDb()
      .select({ n: sql<number>`count(*)::int` })
      .from(customerLinks)
      .where(eq(customerLinks.ticketId, ticketId))
  )[0].n

const view = (token: string) => callLoader(linkRoute, `/support/t/${token}`, { params: { token } })

function copyFor(mail: SendGridMail, recipient: string) {
  const copies = deliveredCopies(mail).filter((c) => c.recipient === recipient)
  expect(copies, recipient).toHaveLength(1)
  return copies[0]
}

describe("the customer's private link in an agent reply", () => {
  it('reaches the customer alone: each BCC recipient gets a copy of their own without it, in the same call', async () => {
    const member = await createMember()
    const ticket = await createTicketFor(member, { customerEmail: 'casey@example.net' })
    const before = await linksOf(ticket.ticketId)
    const { mail, email } = await sendReply(member, ticket.number, {
      bcc: ['outsider@example.org', 'manager@example.com'],
    })

    const customer = copyFor(mail, 'casey@example.net')
    const token = customer.text.match(LINK)?.[1]
    expect(token).toBeDefined()
    expect(customer.html).toContain(`/support/t/${token}`)
    for (const bcc of ['outsider@example.org', 'manager@example.com']) {
      const copy = copyFor(mail, bcc)
      for (const part of [copy.text, copy.html, copy.subject]) {
        expect(part).not.toContain('/support/t/')
        expect(part).not.toContain(token)
      }
      expect(copy.text).toContain(NO_LINK_LINE)
      expect(copy.html).toContain(NO_LINK_LINE)
      // Its own To: no BCC recipient learns of another, nor is one shown to the customer.
      expect(copy.to).toEqual([bcc])
      expect(copy.text).toContain('It ships tomorrow.')
    }
    expect(customer.to).toEqual(['casey@example.net'])
    expect(JSON.stringify(mail.personalizations[0])).not.toContain('example.org')
    // One mail/send: the same Message-ID, threading and Reply-To for every copy.
    expect(mail.headers?.['Message-ID']).toBe(email.headers['Message-ID'])
    expect(mail.headers?.['In-Reply-To']).toBeTruthy()
    expect(mail.reply_to?.email).toBe(email.replyTo)
    expect(mail.custom_args).toEqual({ email_id: email.id })

    // The customer's link works; one new link for the one copy that carries it.
    const page = await view(token!)
    expect(page.status).toBe(200)
    expect(JSON.stringify(page.data)).toContain('It ships tomorrow.')
    expect(await linksOf(ticket.ticketId)).toBe(before + 1)
  })

  it('keeps the BCC copy without the link when the email is sent again after a failure', async () => {
    const member = await createMember()
    const ticket = await createTicketFor(member, { customerEmail: 'retry@example.net' })
    const outcome = await replyToTicket(asMember(member), ticket.number, {
      kind: 'reply',
      body: 'Second try',
      bcc: ['watcher@example.org'],
    })
    if (outcome.kind !== 'sent') throw new Error(outcome.kind)
    const [email] = await getDb().select().from(emails).where(eq(emails.messageId, outcome.messageId))
    fake.reset()
    fake.failNext({ status: 503 })
    await expect(deliverEmail(email.id, email.jobId!)).rejects.toBeInstanceOf(TransientDeliveryError)
    expect((await deliverEmail(email.id, email.jobId!)).outcome).toBe('sent')
    const mail = fake.accepted[0]
    expect(copyFor(mail, 'retry@example.net').text).toMatch(LINK)
    expect(copyFor(mail, 'watcher@example.org').text).not.toContain('/support/t/')
  })

  it('is left out of a reply with CC, which says to answer by replying, and no link is made for it', async () => {
    const member = await createMember()
    const ticket = await createTicketFor(member, { customerEmail: 'pat@example.net' })
    const before = await linksOf(ticket.ticketId)
    const { mail } = await sendReply(member, ticket.number, {
      cc: ['partner@example.net'],
      bcc: ['boss@example.com'],
    })
    // One copy everyone on it sees (reply-all answers the ticket), the BCC in it as before.
    expect(mail.personalizations).toEqual([
      {
        to: [{ email: 'pat@example.net' }],
        cc: [{ email: 'partner@example.net' }],
        bcc: [{ email: 'boss@example.com' }],
      },
    ])
    for (const copy of deliveredCopies(mail)) {
      expect(copy.text).not.toContain('/support/t/')
      expect(copy.html).not.toContain('/support/t/')
      expect(copy.text).toContain(NO_LINK_LINE)
    }
    expect(await linksOf(ticket.ticketId)).toBe(before)

    // Reply-all: the ticket's CC list, kept from the reply above, is on the next one too.
    const again = await sendReply(member, ticket.number)
    expect(again.mail.personalizations[0].cc).toEqual([{ email: 'partner@example.net' }])
    expect(JSON.stringify(again.mail.content)).not.toContain('/support/t/')
    expect(await linksOf(ticket.ticketId)).toBe(before)
  })

  it('stays in a reply to the customer alone, as before', async () => {
    const member = await createMember()
    const ticket = await createTicketFor(member, { customerEmail: 'solo@example.net' })
    const before = await linksOf(ticket.ticketId)
    const { mail } = await sendReply(member, ticket.number)
    expect(mail.personalizations).toEqual([{ to: [{ email: 'solo@example.net' }] }])
    const [text, html] = mail.content.map((c) => c.value)
    const token = text.match(LINK)?.[1]
    expect(token).toBeDefined()
    expect(html).toContain(`/support/t/${token}`)
    expect(text).not.toContain(NO_LINK_LINE)
    expect((await view(token!)).status).toBe(200)
    expect(await linksOf(ticket.ticketId)).toBe(before + 1)
  })
})

describe('the stored email and its link', () => {
  it('holds no working link: the token is made with the server secret and put in only in the copy sent', async () => {
    const member = await createMember()
    const ticket = await createTicketFor(member, { customerEmail: 'stored@example.net' })
    const { mail, email } = await sendReply(member, ticket.number, { bcc: ['audit@example.net'] })
    const token = copyFor(mail, 'stored@example.net').text.match(LINK)![1]
    expect((await view(token)).status).toBe(200)
    const [row] = await getDb().select().from(emails).where(eq(emails.id, email.id))
    for (const stored of [row.text, row.html, row.bccText ?? '', row.bccHtml ?? '']) {
      expect(stored).not.toContain(token)
    }
    // What the row holds in the link's place is no token: it opens nothing.
    const placeholder = row.text.match(LINK)![1]
    expect(placeholder).toBe(`sb-link-${row.linkId}`)
    expect((await view(placeholder)).status).toBe(404)
    expect(copyFor(mail, 'audit@example.net').text).not.toMatch(LINK)
  })

  it("fills in only the email's own link: another link's placeholder typed into a reply stays text", async () => {
    const member = await createMember()
    const ticket = await createTicketFor(member, { customerEmail: 'typed@example.net' })
    const first = await sendReply(member, ticket.number)
    const [firstRow] = await getDb().select().from(emails).where(eq(emails.id, first.email.id))
    const othersPlaceholder = `sb-link-${firstRow.linkId}`
    const outcome = await replyToTicket(asMember(member), ticket.number, {
      kind: 'reply',
      body: `See https://example.test/support/t/${othersPlaceholder} for details.`,
    })
    if (outcome.kind !== 'sent') throw new Error(outcome.kind)
    const [email] = await getDb().select().from(emails).where(eq(emails.messageId, outcome.messageId))
    fake.reset()
    expect((await deliverEmail(email.id, email.jobId!)).outcome).toBe('sent')
    const sent = fake.accepted[0].content.map((c) => c.value).join('\n')
    expect(sent).toContain(othersPlaceholder)
    expect(sent).not.toContain(first.mail.content[0].value.match(LINK)![1])
  })
})

describe('links that went to CC or BCC before each recipient got their own copy (migration 0039)', () => {
  it('expires exactly those links; the customer-alone and the new BCC copies keep theirs', async () => {
    const member = await createMember()
    const ticket = await createTicketFor(member, { customerEmail: 'shared@example.net' })
    // An old reply: one copy, with the link, that a CC'd and a BCC'd person also got (as every
    // reply with CC or BCC was until 0038), stored as emails were until 0040, link and all: made
    // here from a reply to the customer alone.
    const shared = await sendReply(member, ticket.number)
    const [sentText, sentHtml] = shared.mail.content.map((c) => c.value)
    await getDb()
      .update(emails)
      .set({
        cc: ['partner@example.net'],
        bcc: ['boss@example.net'],
        text: sentText,
        html: sentHtml,
        linkId: null,
      })
      .where(eq(emails.id, shared.email.id))
    const sharedToken = sentText.match(LINK)![1]
    // A reply to the customer alone, and a reply with BCC as sent today (its own BCC copy).
    const alone = (await sendReply(member, ticket.number)).mail.content[0].value.match(LINK)![1]
    const withBcc = await sendReply(member, ticket.number, { bcc: ['audit@example.net'] })
    const bccToken = copyFor(withBcc.mail, 'shared@example.net').text.match(LINK)![1]
    for (const token of [sharedToken, alone, bccToken]) expect((await view(token)).status).toBe(200)

    const migration = readFileSync(
      fileURLToPath(new URL('../../migrations/0039_expire_shared_customer_links.sql', import.meta.url)),
      'utf8',
    )
    await getDb().execute(sql.raw(migration))

    expect((await view(sharedToken)).status).toBe(404)
    expect((await view(alone)).status).toBe(200)
    expect((await view(bccToken)).status).toBe(200)
  })
})

describe('emails stored with their links before 0040 (migration 0041)', () => {
  it('loses the token once sent, the link still working; an email not sent yet keeps it', async () => {
    const member = await createMember()
    const ticket = await createTicketFor(member, { customerEmail: 'old@example.net' })
    // Two replies stored as they were before 0040 (the link as sent, no link id): one sent, one
    // failed (its Retry sends the stored row).
    const asBefore = async (status: 'sent' | 'failed') => {
      const { mail, email } = await sendReply(member, ticket.number)
      const [text, html] = mail.content.map((c) => c.value)
      await getDb().update(emails).set({ text, html, linkId: null, status }).where(eq(emails.id, email.id))
      return { id: email.id, token: text.match(LINK)![1] }
    }
    const sent = await asBefore('sent')
    const failed = await asBefore('failed')
    const migration = readFileSync(
      fileURLToPath(new URL('../../migrations/0041_scrub_sent_email_links.sql', import.meta.url)),
      'utf8',
    )
    await getDb().execute(sql.raw(migration))

    const stored = async (id: string) => (await getDb().select().from(emails).where(eq(emails.id, id)))[0]
    const sentRow = await stored(sent.id)
    expect(`${sentRow.text}${sentRow.html}`).not.toContain(sent.token)
    expect(sentRow.text).toContain('/support/t/sb-link-removed')
    expect(sentRow.text).toContain('It ships tomorrow.')
    expect((await view(sent.token)).status).toBe(200)
    const failedRow = await stored(failed.id)
    expect(failedRow.text).toContain(`/support/t/${failed.token}`)
    expect(failedRow.html).toContain(`/support/t/${failed.token}`)
  })
})

describe('delivery events of a copy', () => {
  it("marks a BCC copy's bounce on the BCC address, never on the customer or the reply", async () => {
    const member = await createMember()
    const ticket = await createTicketFor(member, { customerEmail: 'kept@example.net' })
    // The BCC'd address is a contact of the workspace too (it opened a ticket once).
    await getDb().transaction((tx) => upsertContact(tx, member.workspace.id, 'gone@example.org', 'Gone'))
    const { email, messageId } = await sendReply(member, ticket.number, { bcc: ['Gone@example.org'] })
    const outcome = await recordDeliveryEvents([
      {
        sg_event_id: `d-${email.id}`,
        event: 'delivered',
        timestamp: 1_770_000_000,
        email_id: email.id,
        email: 'gone@example.org',
      },
      {
        sg_event_id: `b-${email.id}`,
        event: 'bounce',
        type: 'bounce',
        timestamp: 1_770_000_001,
        email_id: email.id,
        email: 'gone@example.org',
        reason: '550 5.1.1 unknown user',
      },
    ])
    expect(outcome).toMatchObject({ recorded: 2 })
    const contactOf = async (address: string) =>
      (
        await getDb()
          .select({ bouncedAt: contacts.bouncedAt })
          .from(contacts)
          .where(
            sql`${contacts.workspaceId} = ${member.workspace.id} and lower(${contacts.email}) = ${address}`,
          )
      )[0]
    expect((await contactOf('gone@example.org')).bouncedAt).not.toBeNull()
    expect((await contactOf('kept@example.net')).bouncedAt).toBeNull()
    const [row] = await getDb().select({ status: emails.status }).from(emails).where(eq(emails.id, email.id))
    expect(row.status).toBe('sent')
    const [message] = await getDb()
      .select({ status: messages.deliveryStatus })
      .from(messages)
      .where(eq(messages.id, messageId))
    expect(message.status).toBe('sent')

    // The customer's own bounce still marks the customer and the reply.
    await recordDeliveryEvents([
      {
        sg_event_id: `c-${email.id}`,
        event: 'bounce',
        type: 'bounce',
        timestamp: 1_770_000_002,
        email_id: email.id,
        email: 'KEPT@example.net',
        reason: '550 mailbox full',
      },
    ])
    expect((await contactOf('kept@example.net')).bouncedAt).not.toBeNull()
    const [after] = await getDb()
      .select({ status: emails.status })
      .from(emails)
      .where(eq(emails.id, email.id))
    expect(after.status).toBe('bounced')
  })
})
