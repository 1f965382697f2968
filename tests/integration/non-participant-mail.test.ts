import { eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { attachments, emails } from '#db/schema.ts'
import {
  customerTicketView,
  findCustomerAttachment,
  findCustomerTicket,
} from '#app/domain/customer-portal.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { callAction, testContext } from '#tests/helpers/routes.ts'
import { inboundReply } from '#tests/helpers/inbound-reply.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { withEmailLink } from '#app/domain/email-link.server.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

describe('an inbound email from someone who is neither the customer nor CC’d', () => {
  it('is not quoted or referenced in the reply emailed to the customer, nor shown or served on their private page', async () => {
    const alex = await createMember('agent')
    const created = await createTicketFor(alex, { customerEmail: 'owner@example.com' })
    const ticket = { ...created, workspaceId: alex.workspace.id }
    const real = await inboundReply(ticket, 'owner@example.com', 'Real customer words pelican', false)
    // Anyone with the reply token (or a Message-ID of the thread) can write this.
    const forged = await inboundReply(
      ticket,
      'stranger@evil.example',
      'Your account is locked: log in at https://evil.example quokkaphish',
      true,
    )
    expect(forged.notFromParticipant).toBe(true)
    const [file] = await getDb()
      .insert(attachments)
      .values({
        workspaceId: ticket.workspaceId,
        messageId: forged.id,
        filename: 'invoice.pdf.exe',
        contentType: 'application/octet-stream',
        size: 3,
        sha256: 'a'.repeat(64),
      })
      .returning()

    const sent = await callAction(
      ticketRoute,
      `/w/${alex.workspace.slug}/tickets/${ticket.number}`,
      { intent: 'reply', kind: 'reply', body: 'We are looking into it', sendAnyway: '1' },
      {
        cookie: alex.cookie,
        params: { slug: alex.workspace.slug, number: String(ticket.number) },
        context: testContext(),
      },
    )
    expect(sent.status).toBe(302)
    const messageId = sent.location!.split('#m-')[1]!
    const [email] = await getDb().select().from(emails).where(eq(emails.messageId, messageId))
    expect(email.toAddress).toBe('owner@example.com')
    expect(email.text).toContain('Real customer words pelican')
    expect(email.text).not.toContain('quokkaphish')
    expect(email.html ?? '').not.toContain('quokkaphish')
    expect(email.headers['In-Reply-To']).toBe(real.emailMessageId)
    expect(JSON.stringify(email.headers)).not.toContain(forged.emailMessageId!)

    // The customer's private page (its link is in the email) shows their own words, not the stranger's.
    const token = /\/support\/t\/([^\s/?#]+)/.exec(withEmailLink(email.text, email.linkId))![1]!
    const customerTicket = await findCustomerTicket(token)
    expect(customerTicket).toBeDefined()
    const view = await customerTicketView(customerTicket!)
    const bodies = view.thread.map((m) => m.bodyText)
    expect(bodies).toContain('Real customer words pelican')
    expect(bodies.join('\n')).not.toContain('quokkaphish')
    expect(await findCustomerAttachment(customerTicket!, file.id)).toBeUndefined()
  })
})
