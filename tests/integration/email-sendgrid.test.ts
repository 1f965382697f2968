import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails, messages, tickets } from '#db/schema.ts'
import {
  ClaimHeldError,
  deliverEmail,
  MAX_DELIVERY_ATTEMPTS,
  queueEmail,
  retryEmailDelivery,
  TransientDeliveryError,
} from '#app/domain/email.server.ts'
import { QUOTE_MARKER } from '#app/emails/agent-reply.tsx'
import { customerReply, replyToTicket } from '#app/domain/messages.server.ts'
import { MAX_LOCAL_PART, replyTokenOf } from '#app/domain/reply-address.server.ts'
import { createTicket } from '#app/domain/tickets.server.ts'
import { parseEnv } from '#app/env.server.ts'
import { queue, startQueue } from '#app/jobs/queue.server.ts'
import { sendEmails, startWorkers } from '#app/jobs/worker.server.ts'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import { FakeSendGrid, type SendGridMail } from '#tests/fakes/sendgrid.ts'
import { callAction, callLoader, testContext, type RealtimeCalls } from '#tests/helpers/routes.ts'
import { asMember, createMember, createTicketFor, createWorkspace } from '#tests/helpers/factories.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

const fake = new FakeSendGrid()
const envStore = globalThis as unknown as { __switchboardEnv?: ReturnType<typeof parseEnv> }
const INBOUND = 'inbound.example.test'

beforeAll(async () => {
  await fake.start()
  process.env.SENDGRID_API_KEY = fake.apiKey
  process.env.SENDGRID_API_BASE_URL = fake.url
  process.env.INBOUND_DOMAIN = INBOUND
  envStore.__switchboardEnv = undefined
  await startQueue(testDatabaseUrl, { listen: true })
})
afterAll(async () => {
  await queue().stop({ graceful: false, timeout: 1000 })
  await fake.stop()
})

async function emailOf(messageId: string) {
  const [row] = await getDb().select().from(emails).where(eq(emails.messageId, messageId))
  return row
}

async function emailById(id: string) {
  const [row] = await getDb().select().from(emails).where(eq(emails.id, id))
  return row
}

/** Runs the email's current job once, as the worker would (its job id from the row). */
async function runJob(emailId: string) {
  const row = await emailById(emailId)
  return deliverEmail(emailId, row.jobId!)
}

async function reply(
  member: Awaited<ReturnType<typeof createMember>>,
  number: number,
  body: string,
  extra: { cc?: string[]; bcc?: string[] } = {},
) {
  const outcome = await replyToTicket(asMember(member), number, { kind: 'reply', body, ...extra })
  if (outcome.kind !== 'sent') throw new Error(outcome.kind)
  return outcome.messageId
}

/** The last request SendGrid accepted. */
const lastMail = () => fake.accepted.at(-1)!

describe('agent replies through SendGrid', () => {
  it('sends from the mailbox with the signature, both parts, the quoted thread and threading headers', async () => {
    fake.reset()
    const member = await createMember()
    const ticket = await createTicketFor(member, { body: 'Where is my blue kettle?' })
    const [row] = await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId))
    await getDb().execute(
      sql`update mailboxes set signature = ${'Kind regards,\nThe Kettle Team'} where workspace_id = ${member.workspace.id}`,
    )
    await replyToTicket(asMember(member), ticket.number, { kind: 'note', body: 'INTERNAL: refund approved' })
    const messageId = await reply(member, ticket.number, 'It ships tomorrow <b>really</b>.')
    const email = await emailOf(messageId)
    const result = await runJob(email.id)
    expect(result.outcome).toBe('sent')

    const mail = lastMail()
    const customer = (
      await getDb().execute<{ email: string }>(sql`select email from contacts where id = ${row.contactId}`)
    ).rows[0]
    expect(mail.personalizations).toEqual([{ to: [{ email: customer.email }] }])
    expect(mail.from).toEqual({
      email: `${member.workspace.slug}@example.com`,
      name: `Workspace ${member.workspace.slug}`,
    })
    expect(mail.subject).toBe(`Re: My order has not arrived [#${ticket.number}]`)
    // Reply-To: <slug>.<key>+<token>@INBOUND_DOMAIN, the token stored on the ticket.
    const [withToken] = await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId))
    expect(withToken.replyToken).toMatch(/^[a-z2-7]{20}$/)
    expect(mail.reply_to).toEqual({
      email: `${member.workspace.slug}.support+${withToken.replyToken}@${INBOUND}`,
    })
    const [message] = await getDb().select().from(messages).where(eq(messages.id, messageId))
    expect(mail.headers!['Message-ID']).toBe(message.emailMessageId)
    expect(mail.headers!['In-Reply-To']).toBe(row.threadMessageId)
    expect(mail.headers!.References).toBe(row.threadMessageId)
    expect(mail.custom_args).toEqual({ email_id: email.id })
    expect(mail.content.map((c) => c.type)).toEqual(['text/plain', 'text/html'])
    const [text, html] = mail.content.map((c) => c.value)
    expect(text).toContain('It ships tomorrow <b>really</b>.')
    expect(text).toContain('Kind regards,\nThe Kettle Team')
    expect(text).toContain(QUOTE_MARKER)
    expect(text).toMatch(/Casey Customer wrote:\s+> Where is my blue kettle\?/)
    expect(text).not.toContain('INTERNAL')
    expect(html).toContain('It ships tomorrow &lt;b&gt;really&lt;/b&gt;.')
    expect(html).not.toContain('<b>really')
    expect(html).toContain('<blockquote')
    expect(html).not.toContain('INTERNAL')
    // Stored: sent, with SendGrid's X-Message-Id; the message badge follows.
    const sent = await emailById(email.id)
    expect(sent.status).toBe('sent')
    expect(sent.providerId).toBe(fake.requests.at(-1)!.messageId)
    const [after] = await getDb().select().from(messages).where(eq(messages.id, messageId))
    expect(after.deliveryStatus).toBe('sent')
    expect(result.events).toEqual([
      expect.objectContaining({
        type: 'message.delivery',
        messageId,
        status: 'sent',
        ticketId: ticket.ticketId,
      }),
    ])
  })

  it("answers the customer's last email (In-Reply-To) and references the root and the last ten", async () => {
    const member = await createMember()
    const ticket = await createTicketFor(member)
    const [row] = await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId))
    for (let i = 0; i < 12; i++) await reply(member, ticket.number, `Reply ${i}`)
    const answer = await customerReply(
      { ticketId: ticket.ticketId, workspaceId: member.workspace.id },
      'Thanks, one more question',
    )
    // As inbound email will store it.
    await getDb()
      .update(messages)
      .set({ emailMessageId: '<cust-1@mail.example>' })
      .where(eq(messages.id, answer.messageId))
    const last = await reply(member, ticket.number, 'Answering your question')
    const email = await emailOf(last)
    expect(email.headers['In-Reply-To']).toBe('<cust-1@mail.example>')
    const references = email.headers.References.split(' ')
    expect(references[0]).toBe(row.threadMessageId)
    expect(references).toHaveLength(11)
    expect(references.at(-1)).toBe('<cust-1@mail.example>')
    expect(references).not.toContain(email.headers['Message-ID'])
  })

  it('keeps the Reply-To local part within 64 characters for the longest slug and key', async () => {
    const workspace = await createWorkspace({ slug: `w${'x'.repeat(38)}z` })
    await getDb().execute(
      sql`update mailboxes set key = ${'k'.repeat(40)} where workspace_id = ${workspace.id}`,
    )
    const member = await createMember('owner', workspace)
    const ticket = await createTicketFor(member)
    const email = await emailOf(await reply(member, ticket.number, 'Hello'))
    const [local, domain] = email.replyTo!.split('@')
    expect(domain).toBe(INBOUND)
    expect(local.length).toBeLessThanOrEqual(MAX_LOCAL_PART)
    const [row] = await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId))
    expect(local.endsWith(`+${row.replyToken}`)).toBe(true)
    expect(local.startsWith(`${workspace.slug}.kk`)).toBe(true)
    expect(replyTokenOf(email.replyTo!)).toBe(row.replyToken)
  })

  it('keeps header values on one line whatever the stored subject holds', async () => {
    const member = await createMember()
    const ticket = await createTicketFor(member)
    await getDb()
      .update(tickets)
      .set({ subject: 'Help\r\nBcc: victim@example.org' })
      .where(eq(tickets.id, ticket.ticketId))
    const email = await emailOf(await reply(member, ticket.number, 'Hello'))
    await runJob(email.id)
    const mail = lastMail()
    expect(mail.subject).toBe(`Re: Help Bcc: victim@example.org [#${ticket.number}]`)
    expect(JSON.stringify(mail.personalizations)).not.toContain('victim')
  })

  it('sends the web-form confirmation through SendGrid as the thread root, auto-submitted', async () => {
    const member = await createMember()
    const [mailbox] = (
      await getDb().execute<{ id: string }>(
        sql`select id from mailboxes where workspace_id = ${member.workspace.id}`,
      )
    ).rows
    const created = await createTicket(
      { workspaceId: member.workspace.id, userId: null },
      {
        mailboxId: mailbox.id,
        customerEmail: 'pat@example.net',
        customerName: 'Pat',
        subject: 'Broken lid',
        body: 'The lid broke',
        channel: 'web',
        sendConfirmation: true,
      },
    )
    if (created.kind !== 'created') throw new Error('not created')
    const [email] = await getDb().select().from(emails).where(eq(emails.ticketId, created.ticketId))
    await runJob(email.id)
    const mail = lastMail()
    const [row] = await getDb().select().from(tickets).where(eq(tickets.id, created.ticketId))
    expect(mail.personalizations[0].to).toEqual([{ email: 'pat@example.net' }])
    expect(mail.headers!['Auto-Submitted']).toBe('auto-replied')
    expect(mail.headers!['Message-ID']).toBe(row.threadMessageId)
    expect(mail.reply_to!.email).toBe(`${member.workspace.slug}.support+${row.replyToken}@${INBOUND}`)
    expect(mail.content[0].value).toContain('We received your request')
    expect(mail.content[1].value).toContain('/support/t/')
  })
})

describe('retries, idempotency and failures', () => {
  async function queuedReply() {
    const member = await createMember()
    const ticket = await createTicketFor(member)
    const messageId = await reply(member, ticket.number, 'Your refund is on its way')
    return { member, ticket, messageId, email: await emailOf(messageId) }
  }

  it('reschedules a 429 after Retry-After as a new job, keeping the row and its Message-ID', async () => {
    const { email } = await queuedReply()
    fake.reset()
    fake.failNext({ status: 429, retryAfter: '7' })
    const firstJob = email.jobId!
    const before = Date.now()
    expect((await runJob(email.id)).outcome).toBe('rescheduled')
    const requeued = await emailById(email.id)
    expect(requeued.status).toBe('queued')
    expect(requeued.jobId).not.toBe(firstJob)
    const { rows } = await getDb().execute<{ start_after: Date }>(
      sql`select start_after from pgboss.job where name = 'email.send' and id = ${requeued.jobId}`,
    )
    const delay = (new Date(rows[0].start_after).getTime() - before) / 1000
    expect(delay).toBeGreaterThan(5)
    expect(delay).toBeLessThan(10)
    // The old job cannot send it any more; the new one does, with the same Message-ID.
    expect((await deliverEmail(email.id, firstJob)).outcome).toBe('superseded')
    expect((await runJob(email.id)).outcome).toBe('sent')
    const [limited, sent] = fake.requests.map((r) => r.body as SendGridMail)
    expect(fake.requests.map((r) => r.status)).toEqual([429, 202])
    expect(sent.headers!['Message-ID']).toBe(limited.headers!['Message-ID'])
    expect((await emailById(email.id)).attempts).toBe(2)
  })

  it('gives up on 429 after MAX_DELIVERY_ATTEMPTS and shows the failure', async () => {
    const { email, messageId } = await queuedReply()
    await getDb()
      .update(emails)
      .set({ attempts: MAX_DELIVERY_ATTEMPTS - 1 })
      .where(eq(emails.id, email.id))
    fake.failNext({ status: 429, retryAfter: '1' })
    expect((await runJob(email.id)).outcome).toBe('failed')
    const failed = await emailById(email.id)
    expect(failed.status).toBe('failed')
    expect(failed.error).toContain('SendGrid 429')
    const [message] = await getDb().select().from(messages).where(eq(messages.id, messageId))
    expect(message.deliveryStatus).toBe('failed')
  })

  it('retries a 500 with the same job (pg-boss backoff) and sends once', async () => {
    const { email } = await queuedReply()
    fake.reset()
    fake.failNext({ status: 500 })
    await expect(runJob(email.id)).rejects.toBeInstanceOf(TransientDeliveryError)
    expect((await emailById(email.id)).status).toBe('queued')
    expect((await runJob(email.id)).outcome).toBe('sent')
    expect(fake.requests.map((r) => r.status)).toEqual([500, 202])
  })

  it('retries when SendGrid cannot be reached', async () => {
    const { email } = await queuedReply()
    const saved = envStore.__switchboardEnv
    envStore.__switchboardEnv = parseEnv({ ...process.env, SENDGRID_API_BASE_URL: 'http://127.0.0.1:1' })
    try {
      await expect(runJob(email.id)).rejects.toThrow(/SendGrid unreachable/)
    } finally {
      envStore.__switchboardEnv = saved
    }
    expect((await emailById(email.id)).status).toBe('queued')
    expect((await runJob(email.id)).outcome).toBe('sent')
  })

  it('fails permanently on a 4xx (a bad key too) with the reason, and publishes the badge change', async () => {
    const { email, messageId } = await queuedReply()
    fake.failNext({
      status: 400,
      body: {
        errors: [
          {
            message: 'The from address does not match a verified Sender Identity.',
            field: 'from',
            help: null,
          },
        ],
      },
    })
    const result = await runJob(email.id)
    expect(result.outcome).toBe('failed')
    expect(result.events).toEqual([
      expect.objectContaining({ type: 'message.delivery', messageId, status: 'failed' }),
    ])
    expect((await emailById(email.id)).error).toBe(
      'SendGrid 400: from: The from address does not match a verified Sender Identity.',
    )

    const other = await queuedReply()
    const saved = envStore.__switchboardEnv
    envStore.__switchboardEnv = parseEnv({ ...process.env, SENDGRID_API_KEY: 'SG.wrong' })
    try {
      expect((await runJob(other.email.id)).outcome).toBe('failed')
    } finally {
      envStore.__switchboardEnv = saved
    }
    expect((await emailById(other.email.id)).error).toMatch(/^SendGrid 401: The provided authorization grant/)
  })

  it('never delivers twice when the same job runs twice at once, or again later', async () => {
    const { email } = await queuedReply()
    fake.reset()
    fake.failNext({ status: 202, delayMs: 300, body: undefined })
    // The first attempt is inside its HTTP call when the second starts.
    const first = runJob(email.id)
    await expect.poll(() => fake.requests.length).toBe(1)
    await expect(runJob(email.id)).rejects.toBeInstanceOf(ClaimHeldError)
    await first
    expect((await runJob(email.id)).outcome).toBe('already-sent')
    expect((await deliverEmail(email.id, 'another-job')).outcome).toBe('already-sent')
    expect(fake.requests).toHaveLength(1)
  })

  it('lets only the same job take over a claim whose lease ran out (the at-least-once corner)', async () => {
    const { email } = await queuedReply()
    // As if a worker claimed it and died in its HTTP call a minute ago.
    await getDb()
      .update(emails)
      .set({ status: 'sending', leaseExpiresAt: new Date(Date.now() - 1000) })
      .where(eq(emails.id, email.id))
    expect((await deliverEmail(email.id, 'another-job')).outcome).toBe('superseded')
    expect((await runJob(email.id)).outcome).toBe('sent')
  })

  it('marks the email failed when the worker exhausts its retries on 5xx', async () => {
    const { email, messageId } = await queuedReply()
    fake.failNext({ status: 503 })
    const job = {
      id: email.jobId!,
      name: 'email.send',
      data: { emailId: email.id },
      retryCount: 5,
      retryLimit: 5,
      deadLetter: 'jobs.dead-letter',
    }
    const [result] = await sendEmails([job as unknown as Parameters<typeof sendEmails>[0][number]])
    expect(result.status).toBe('failed')
    expect((await emailById(email.id)).status).toBe('failed')
    expect((await emailById(email.id)).error).toContain('SendGrid 503')
    const [message] = await getDb().select().from(messages).where(eq(messages.id, messageId))
    expect(message.deliveryStatus).toBe('failed')
  })

  it('retries a failed reply for its own workspace only, with the same Message-ID', async () => {
    const { member, ticket, email, messageId } = await queuedReply()
    fake.failNext({ status: 400 })
    await runJob(email.id)
    const stranger = await createMember()
    expect((await retryEmailDelivery(asMember(stranger), ticket.number, messageId)).kind).toBe('not-found')
    expect((await emailById(email.id)).status).toBe('failed')
    const retried = await retryEmailDelivery(asMember(member), ticket.number, messageId)
    expect(retried).toEqual({
      kind: 'queued',
      events: [expect.objectContaining({ type: 'message.delivery', status: 'queued', messageId })],
    })
    fake.reset()
    expect((await runJob(email.id)).outcome).toBe('sent')
    expect(lastMail().headers!['Message-ID']).toBe(email.headers['Message-ID'])
    // Only failed emails can be retried: a sent one queues nothing.
    expect((await retryEmailDelivery(asMember(member), ticket.number, messageId)).kind).toBe('not-failed')
  })
})

describe('the ticket page', () => {
  type Agent = Awaited<ReturnType<typeof createMember>>
  const path = (agent: Agent, number: number) => `/w/${agent.workspace.slug}/tickets/${number}`
  const options = (agent: Agent, number: number, calls?: RealtimeCalls) => ({
    cookie: agent.cookie,
    params: { slug: agent.workspace.slug, number: String(number) },
    context: testContext(calls),
  })

  it('shows a failed reply with its reason, and its Retry form queues it again (no JavaScript needed)', async () => {
    const member = await createMember()
    const ticket = await createTicketFor(member)
    const messageId = await reply(member, ticket.number, 'Hello there')
    fake.failNext({
      status: 400,
      body: {
        errors: [
          {
            message: 'Does not contain a valid address.',
            field: 'personalizations.0.to.0.email',
            help: null,
          },
        ],
      },
    })
    await runJob((await emailOf(messageId)).id)
    const page = await callLoader(ticketRoute, path(member, ticket.number), options(member, ticket.number))
    const shown = page.data.thread.find((m: { id: string }) => m.id === messageId)
    expect(shown.deliveryStatus).toBe('failed')
    expect(shown.deliveryError).toBe(
      'SendGrid 400: personalizations.0.to.0.email: Does not contain a valid address.',
    )

    // Another workspace's member cannot retry it, even by posting to their own ticket of that number.
    const stranger = await createMember()
    const strangerTicket = await createTicketFor(stranger)
    const refused = await callAction(
      ticketRoute,
      path(stranger, strangerTicket.number),
      { intent: 'retry-delivery', messageId },
      options(stranger, strangerTicket.number),
    )
    expect(refused.status).toBe(404)
    const foreign = await callAction(
      ticketRoute,
      path(stranger, ticket.number),
      { intent: 'retry-delivery', messageId },
      options(stranger, ticket.number),
    )
    expect(foreign.status).toBe(404)
    expect((await emailOf(messageId)).status).toBe('failed')

    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    const retried = await callAction(
      ticketRoute,
      path(member, ticket.number),
      { intent: 'retry-delivery', messageId },
      options(member, ticket.number, calls),
    )
    expect(retried.status).toBe(302)
    expect(retried.location).toBe(path(member, ticket.number))
    expect(calls.published).toEqual([
      expect.objectContaining({ type: 'message.delivery', status: 'queued', messageId }),
    ])
    expect((await emailOf(messageId)).status).toBe('queued')
    expect((await runJob((await emailOf(messageId)).id)).outcome).toBe('sent')
    const after = await callLoader(ticketRoute, path(member, ticket.number), options(member, ticket.number))
    expect(after.data.thread.find((m: { id: string }) => m.id === messageId).deliveryStatus).toBe('sent')
  })
})

describe('CC and BCC from the composer', () => {
  type Agent = Awaited<ReturnType<typeof createMember>>
  const path = (agent: Agent, number: number) => `/w/${agent.workspace.slug}/tickets/${number}`
  function send(agent: Agent, number: number, fields: Record<string, string>) {
    const form = new FormData()
    for (const [name, value] of Object.entries({ intent: 'reply', kind: 'reply', ccShown: '1', ...fields }))
      form.append(name, value)
    form.append('files', new File([], '', { type: 'application/octet-stream' }))
    return callAction(ticketRoute, path(agent, number), form, {
      cookie: agent.cookie,
      params: { slug: agent.workspace.slug, number: String(number) },
    })
  }
  const messageCount = async (ticketId: string) =>
    (await getDb().select({ n: tickets.messageCount }).from(tickets).where(eq(tickets.id, ticketId)))[0].n

  it('copies the ticket CCs (reply-all), adds the typed ones, BCCs this reply only, and lets the agent remove them', async () => {
    const member = await createMember()
    const ticket = await createTicketFor(member, { customerEmail: 'casey@example.net' })
    // As inbound email will keep them.
    await getDb()
      .update(tickets)
      .set({ cc: ['partner@example.net'] })
      .where(eq(tickets.id, ticket.ticketId))
    const page = await callLoader(ticketRoute, path(member, ticket.number), {
      cookie: member.cookie,
      params: { slug: member.workspace.slug, number: String(ticket.number) },
    })
    expect(page.data.ticket.cc).toEqual(['partner@example.net'])

    fake.reset()
    const posted = await send(member, ticket.number, {
      body: 'Copying my manager',
      cc: 'partner@example.net, Casey@example.net; new@example.org partner@example.net',
      bcc: 'boss@example.com',
    })
    expect(posted.status).toBe(302)
    const [first] = await getDb().select().from(emails).where(eq(emails.ticketId, ticket.ticketId))
    await runJob(first.id)
    // The customer is not copied on their own email; duplicates are dropped.
    expect(lastMail().personalizations).toEqual([
      {
        to: [{ email: 'casey@example.net' }],
        cc: [{ email: 'partner@example.net' }, { email: 'new@example.org' }],
        bcc: [{ email: 'boss@example.com' }],
      },
    ])
    const [row] = await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId))
    expect(row.cc).toEqual(['partner@example.net', 'new@example.org'])

    // Reply-all without BCC; then the agent empties the CC field: no CCs from then on.
    const again = await replyToTicket(asMember(member), ticket.number, { kind: 'reply', body: 'Second' })
    if (again.kind !== 'sent') throw new Error(again.kind)
    const second = await emailOf(again.messageId)
    expect(second.cc).toEqual(['partner@example.net', 'new@example.org'])
    expect(second.bcc).toEqual([])
    expect((await send(member, ticket.number, { body: 'Just you now', cc: '' })).status).toBe(302)
    const [cleared] = await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId))
    expect(cleared.cc).toEqual([])
  })

  it('refuses a bad address or more than 10, with the field error and the typed text kept, writing nothing', async () => {
    const member = await createMember()
    const ticket = await createTicketFor(member)
    const before = await messageCount(ticket.ticketId)
    const bad = await send(member, ticket.number, { body: 'Hi', cc: 'ok@example.com, not-an-address' })
    expect(bad.status).toBe(400)
    expect(bad.data.result.error.cc).toEqual(['CC: “not-an-address” is not an email address'])
    expect(bad.data.result.initialValue.cc).toBe('ok@example.com, not-an-address')
    expect(bad.data.result.initialValue.body).toBe('Hi')
    const eleven = Array.from({ length: 11 }, (_, i) => `p${i}@example.com`).join(', ')
    const many = await send(member, ticket.number, { body: 'Hi', bcc: eleven })
    expect(many.status).toBe(400)
    expect(many.data.result.error.bcc).toEqual(['BCC: at most 10 addresses'])
    expect(many.data.result.initialValue.bcc).toBe(eleven)
    expect(await messageCount(ticket.ticketId)).toBe(before)
  })
})

describe('throughput', () => {
  it('sends 500 emails through the worker to the fake SendGrid at 50 or more per second', async () => {
    const workspace = await createWorkspace()
    fake.reset()
    await startWorkers()
    const ids: string[] = []
    const started = Date.now()
    for (let batch = 0; batch < 50; batch++) {
      await getDb().transaction(async (tx) => {
        for (let i = 0; i < 10; i++) {
          ids.push(
            await queueEmail(tx, {
              workspaceId: workspace.id,
              kind: 'ticket-confirmation',
              fromAddress: 'support@example.com',
              fromName: 'Support',
              toAddress: `customer-${batch}-${i}@throughput.example`,
              subject: `Message ${batch}-${i}`,
              html: '<p>Hi</p>',
              text: 'Hi',
            }),
          )
        }
      })
    }
    await expect
      .poll(
        async () =>
          (
            await getDb().execute<{ n: number }>(
              sql`select count(*)::int as n from emails where status = 'sent' and workspace_id = ${workspace.id}`,
            )
          ).rows[0].n,
        { timeout: 30_000, interval: 50 },
      )
      .toBe(500)
    const seconds = (Date.now() - started) / 1000
    const rate = 500 / seconds
    console.log(
      `[email-sendgrid] 500 emails through SendGrid (fake) in ${seconds.toFixed(2)} s: ${rate.toFixed(0)}/s`,
    )
    expect(rate).toBeGreaterThanOrEqual(50)
    const ours = fake.accepted.filter((m) =>
      m.personalizations[0].to[0].email.endsWith('@throughput.example'),
    )
    expect(ours).toHaveLength(500)
    await queue().offWork('email.send')
  })
})
