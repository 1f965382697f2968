import { randomBytes } from 'node:crypto'
import { count, eq, sum } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { attachments, contacts, emails, mailboxes, messages, rateLimitCounters, tickets } from '#db/schema.ts'
import { outboundEmailLimit } from '#app/domain/outbound-email-limit.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as mailboxRoute from '#app/routes/support.$slug.$mailbox.tsx'
import * as formRoute from '#app/routes/support.$slug._index.tsx'
import * as linkRoute from '#app/routes/support.t.$token.tsx'
import { createWorkspace } from '#tests/helpers/factories.ts'
import { file, multipartForm } from '#tests/helpers/multipart.ts'
import { callAction, callLoader, testContext, type RealtimeCalls } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { withEmailLink } from '#app/domain/email-link.server.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

const unique = () => randomBytes(4).toString('hex')
let ipCounter = 0
/** Each test posts from its own address so per-IP limits do not leak between tests. */
function contextFrom(ip = `198.51.100.${++ipCounter}`) {
  const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
  return { context: { ...testContext(calls), clientIp: ip }, calls }
}

function validForm(overrides: Record<string, string> = {}) {
  return {
    name: 'Casey Customer',
    email: `casey-${unique()}@example.net`,
    subject: 'My kettle never arrived',
    // Each request its own text: the same text posted again within a minute is one request.
    message: `I ordered a blue kettle two weeks ago and it still has not arrived (order ${unique()}).`,
    ...overrides,
  }
}

async function submit(
  slug: string,
  fields: Record<string, string>,
  options: { files?: File[]; ip?: string; mailbox?: string } = {},
) {
  const { context, calls } = contextFrom(options.ip)
  const route = options.mailbox ? mailboxRoute : formRoute
  const path = options.mailbox ? `/support/${slug}/${options.mailbox}` : `/support/${slug}`
  const result = await callAction(route, path, multipartForm(fields, options.files ?? []), {
    params: options.mailbox ? { slug, mailbox: options.mailbox } : { slug },
    context,
  })
  return { result, calls }
}

async function written(workspaceId: string) {
  const db = getDb()
  const [[t], [c], [m], [e], [a], [h]] = await Promise.all([
    db.select({ n: count() }).from(tickets).where(eq(tickets.workspaceId, workspaceId)),
    db.select({ n: count() }).from(contacts).where(eq(contacts.workspaceId, workspaceId)),
    db.select({ n: count() }).from(messages).where(eq(messages.workspaceId, workspaceId)),
    db.select({ n: count() }).from(emails).where(eq(emails.workspaceId, workspaceId)),
    db.select({ n: count() }).from(attachments).where(eq(attachments.workspaceId, workspaceId)),
    db.select({ n: sum(rateLimitCounters.hits).mapWith(Number) }).from(rateLimitCounters),
  ])
  // hits: every rate-limit slot held, so a refused or failed post must leave it unchanged.
  return { tickets: t.n, contacts: c.n, messages: m.n, emails: e.n, attachments: a.n, hits: h.n ?? 0 }
}

describe('the public support form', () => {
  it('shows the workspace name and nothing else about the workspace', async () => {
    const workspace = await createWorkspace({ name: 'Acme Kettles' })
    const result = await callLoader(formRoute, `/support/${workspace.slug}`, {
      params: { slug: workspace.slug },
    })
    expect(result.status).toBe(200)
    expect(result.data).toEqual({ workspaceName: 'Acme Kettles', sent: null })
  })

  it('creates the ticket, contact, message and a confirmation email whose private link opens the ticket', async () => {
    const workspace = await createWorkspace()
    const form = validForm()
    const { result, calls } = await submit(workspace.slug, form, {
      files: [file('receipt.txt', 'Order 1234, paid')],
    })
    expect(result.status).toBe(302)
    expect(result.location).toBe(`/support/${workspace.slug}?sent=1`)
    expect(calls.published).toEqual([expect.objectContaining({ type: 'ticket.created', number: 1 })])

    const [ticket] = await getDb().select().from(tickets).where(eq(tickets.workspaceId, workspace.id))
    expect(ticket).toMatchObject({ number: 1, subject: form.subject, channel: 'web', status: 'open' })
    const [contact] = await getDb().select().from(contacts).where(eq(contacts.id, ticket.contactId))
    expect(contact).toMatchObject({ email: form.email, name: 'Casey Customer' })
    const [message] = await getDb().select().from(messages).where(eq(messages.ticketId, ticket.id))
    expect(message).toMatchObject({ kind: 'reply', bodyText: form.message, authorContactId: contact.id })
    const [attachment] = await getDb().select().from(attachments).where(eq(attachments.messageId, message.id))
    expect(attachment).toMatchObject({ filename: 'receipt.txt', size: 16 })

    const [email] = await getDb().select().from(emails).where(eq(emails.ticketId, ticket.id))
    expect(email).toMatchObject({ kind: 'ticket-confirmation', toAddress: form.email })
    // Stored with its link's placeholder; the copy sent carries the token (made with the secret).
    expect(email.text).toContain(`/support/t/sb-link-${email.linkId}`)
    const sent = withEmailLink(email.text, email.linkId)
    const link = sent.match(/http:\/\/localhost:3000(\/support\/t\/[A-Za-z0-9_-]+)/)
    expect(link).not.toBeNull()
    const token = link![1].split('/').pop()!
    const page = await callLoader(linkRoute, link![1], { params: { token } })
    expect(page.status).toBe(200)
    expect(page.data.ticket).toMatchObject({ number: 1, subject: form.subject, status: 'open' })
    expect(page.data.thread[0]).toMatchObject({ from: 'customer', bodyText: form.message })
    expect(page.data.thread[0].attachments[0]).toMatchObject({ filename: 'receipt.txt' })
  })

  it('shows the confirmation after the redirect without anything sensitive in the URL', async () => {
    const workspace = await createWorkspace()
    const result = await callLoader(formRoute, `/support/${workspace.slug}?sent=7`, {
      params: { slug: workspace.slug },
    })
    expect(result.data.sent).toEqual({ number: 7, emailed: true })
  })

  it('files the ticket into the mailbox named in the URL', async () => {
    const workspace = await createWorkspace()
    const [billing] = await getDb()
      .insert(mailboxes)
      .values({
        workspaceId: workspace.id,
        name: 'Billing',
        key: 'billing',
        address: 'b@x.test',
        fromName: 'B',
      })
      .returning({ id: mailboxes.id })
    const { result } = await submit(workspace.slug, validForm(), { mailbox: 'billing' })
    expect(result.location).toBe(`/support/${workspace.slug}/billing?sent=1`)
    const [ticket] = await getDb().select().from(tickets).where(eq(tickets.workspaceId, workspace.id))
    expect(ticket.mailboxId).toBe(billing.id)
  })

  it('answers a filled honeypot as if it succeeded and writes nothing', async () => {
    const workspace = await createWorkspace()
    const before = await written(workspace.id)
    const { result, calls } = await submit(workspace.slug, validForm({ website: 'http://spam.example' }))
    expect(result.status).toBe(302)
    expect(result.location).toBe(`/support/${workspace.slug}?sent`)
    expect(calls.published).toEqual([])
    expect(await written(workspace.id)).toEqual(before)
  })

  it('refuses a sixth request from one address within ten minutes with 429, keeping what was typed', async () => {
    const workspace = await createWorkspace()
    const ip = '192.0.2.50'
    for (let i = 0; i < 5; i++) {
      const { result } = await submit(workspace.slug, validForm(), { ip })
      expect(result.status).toBe(302)
    }
    const before = await written(workspace.id)
    const form = validForm({ subject: 'One more thing' })
    const { result, calls } = await submit(workspace.slug, form, { ip })
    expect(result.status).toBe(429)
    expect(result.data.result.error[''][0]).toMatch(/wait 10 minutes/i)
    expect(result.data.result.initialValue).toMatchObject({ subject: 'One more thing', email: form.email })
    expect(calls.published).toEqual([])
    expect(await written(workspace.id)).toEqual(before)
    // Another address is not affected.
    const other = await submit(workspace.slug, validForm(), { ip: '192.0.2.51' })
    expect(other.result.status).toBe(302)
  })

  it('refuses a sixth request for one email address from different addresses', async () => {
    const workspace = await createWorkspace()
    const email = `Repeat-${unique()}@Example.net`
    for (let i = 0; i < 5; i++) {
      const { result } = await submit(
        workspace.slug,
        validForm({ email: i % 2 ? email : email.toLowerCase() }),
      )
      expect(result.status).toBe(302)
    }
    const before = await written(workspace.id)
    const { result } = await submit(workspace.slug, validForm({ email }))
    expect(result.status).toBe(429)
    expect(await written(workspace.id)).toEqual(before)
  })

  it.each([
    ['one address', (i: number) => ({ ip: '192.0.2.60', email: `burst-${i}-${unique()}@example.net` })],
    ['one email address', (i: number) => ({ ip: `192.0.2.${100 + i}`, email: 'Burst@Example.net' })],
  ])('lets at most 5 of 60 parallel posts from %s through', async (_label, sender) => {
    const workspace = await createWorkspace()
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => {
        const { ip, email } = sender(i)
        return submit(workspace.slug, validForm({ email }), { ip })
      }),
    )
    const statuses = results.map(({ result }) => result.status)
    expect(statuses.filter((s) => s === 302)).toHaveLength(5)
    expect(statuses.filter((s) => s === 429)).toHaveLength(55)
    expect((await written(workspace.id)).tickets).toBe(5)
  })

  describe('refuses bad input with a field error, keeps the typed values and writes nothing', () => {
    const cases: Array<[string, Record<string, string>, string, File[]?]> = [
      ['an invalid email', { email: 'not-an-email' }, 'email'],
      ['an empty subject', { subject: '   ' }, 'subject'],
      ['a subject over 250 characters', { subject: 's'.repeat(251) }, 'subject'],
      ['an empty message', { message: '' }, 'message'],
      ['a message over 100 KB', { message: 'm'.repeat(100_001) }, 'message'],
      ['a name over 100 characters', { name: 'n'.repeat(101) }, 'name'],
      ['an executable attachment', {}, 'files', [file('setup.exe', 'MZ', 'application/octet-stream')]],
      ['more than 10 attachments', {}, 'files', Array.from({ length: 11 }, (_, i) => file(`f${i}.txt`, 'x'))],
      [
        'attachments over 25 MB',
        {},
        'files',
        [file('big.bin', new Uint8Array(25 * 1024 * 1024 + 1), 'application/octet-stream')],
      ],
    ]
    it.each(cases)('%s', async (_label, overrides, field, files) => {
      const workspace = await createWorkspace()
      const before = await written(workspace.id)
      const form = validForm(overrides)
      const { result, calls } = await submit(workspace.slug, form, { files })
      expect(result.status).toBe(400)
      expect(result.data.result.error[field]?.length).toBeGreaterThan(0)
      if (field !== 'email') expect(result.data.result.initialValue.email).toBe(form.email)
      expect(result.data.result.initialValue.subject).toBe(form.subject)
      expect(calls.published).toEqual([])
      expect(await written(workspace.id)).toEqual(before)
    })
  })

  it('is a 404 for an unknown workspace or mailbox, and for an archived mailbox', async () => {
    const workspace = await createWorkspace()
    const unknown = await callLoader(formRoute, '/support/nope', { params: { slug: `nope-${unique()}` } })
    expect(unknown.status).toBe(404)
    const unknownPost = await submit(`nope-${unique()}`, validForm())
    expect(unknownPost.result.status).toBe(404)
    const noMailbox = await callLoader(mailboxRoute, `/support/${workspace.slug}/sales`, {
      params: { slug: workspace.slug, mailbox: 'sales' },
    })
    expect(noMailbox.status).toBe(404)
    await getDb()
      .update(mailboxes)
      .set({ archivedAt: new Date() })
      .where(eq(mailboxes.workspaceId, workspace.id))
    for (const [route, params] of [
      [formRoute, { slug: workspace.slug }],
      [mailboxRoute, { slug: workspace.slug, mailbox: 'support' }],
    ] as const) {
      const result = await callLoader(route, `/support/${workspace.slug}`, { params })
      expect(result.status).toBe(404)
    }
    const archivedPost = await submit(workspace.slug, validForm(), { mailbox: 'support' })
    expect(archivedPost.result.status).toBe(404)
    expect((await written(workspace.id)).tickets).toBe(0)
  })
})

describe('an archived mailbox’s form', () => {
  it('still takes the request, for the workspace’s first active mailbox, so nothing written is lost', async () => {
    // Found from outside: a customer with /support/<slug>/billing open when an admin archived
    // Billing posted into a 404, and what they wrote was gone.
    const workspace = await createWorkspace()
    const [billing] = await getDb()
      .insert(mailboxes)
      .values({
        workspaceId: workspace.id,
        name: 'Billing',
        key: 'billing',
        address: `billing-${unique()}@example.com`,
        fromName: 'Billing',
        archivedAt: new Date(),
      })
      .returning({ id: mailboxes.id })
    const page = await callLoader(mailboxRoute, `/support/${workspace.slug}/billing`, {
      params: { slug: workspace.slug, mailbox: 'billing' },
    })
    expect(page.status).toBe(200)
    const sent = await submit(workspace.slug, validForm(), { mailbox: 'billing' })
    expect(sent.result.status).toBe(302)
    const [ticket] = await getDb()
      .select({ mailboxId: tickets.mailboxId })
      .from(tickets)
      .where(eq(tickets.workspaceId, workspace.id))
    expect(ticket!.mailboxId).not.toBe(billing!.id)
    expect((await written(workspace.id)).tickets).toBe(1)
  })
})

describe('files of a refused request', () => {
  it('are named to attach again (the page without JavaScript comes back with an empty file field)', async () => {
    const workspace = await createWorkspace()
    const refused = await submit(
      workspace.slug,
      { ...validForm(), email: 'not an address' },
      { files: [new File(['x'], 'receipt.pdf', { type: 'application/pdf' })], ip: '198.51.100.240' },
    )
    expect(refused.result.status).toBe(400)
    expect(refused.result.data).toMatchObject({ filesNotKept: ['receipt.pdf'] })
    expect((await written(workspace.id)).tickets).toBe(0)
  })
})

describe('the support form posted twice', () => {
  it('eight identical posts at once open one ticket and send one confirmation; each is answered with it', async () => {
    const workspace = await createWorkspace()
    const form = validForm()
    const ip = '198.51.100.250'
    const posts = await Promise.all(Array.from({ length: 8 }, () => submit(workspace.slug, form, { ip })))
    // Each post takes a slot of the sender's limit (5 in 10 minutes) before it is seen to be a
    // copy; the three refused a slot are still copies of the first, so they are answered as it was.
    const statuses = posts.map((p) => p.result.status)
    expect(statuses).toEqual(Array(8).fill(302))
    expect(new Set(posts.map((p) => p.result.location))).toEqual(
      new Set([`/support/${workspace.slug}?sent=1`]),
    )
    expect(posts.flatMap((p) => p.calls.published)).toHaveLength(1)
    const counts = await written(workspace.id)
    expect(counts).toMatchObject({ tickets: 1, messages: 1, emails: 1 })
    // Another request from the same person is a new ticket.
    const other = await submit(workspace.slug, { ...form, subject: 'And a second question' }, { ip })
    expect(other.result.location).toBe(`/support/${workspace.slug}?sent=2`)
  })

  it('a copy of the last post allowed is answered with its ticket once the limit is reached; a new request is refused', async () => {
    const workspace = await createWorkspace()
    const ip = '198.51.100.251'
    const base = validForm()
    let last = base
    for (let i = 1; i <= 5; i++) {
      last = { ...base, subject: `Question ${i}` }
      expect((await submit(workspace.slug, last, { ip })).result.location).toBe(
        `/support/${workspace.slug}?sent=${i}`,
      )
    }
    const again = await submit(workspace.slug, last, { ip })
    expect(again.result.location).toBe(`/support/${workspace.slug}?sent=5`)
    expect(again.calls.published).toHaveLength(0)
    const fresh = await submit(workspace.slug, { ...base, subject: 'Question 6' }, { ip })
    expect(fresh.result.status).toBe(429)
    expect(await written(workspace.id)).toMatchObject({ tickets: 5, emails: 5 })
  })

  it(`emails at most ${outboundEmailLimit(false).max} confirmations an hour for a new workspace, exactly under a parallel burst; the tickets are all made`, async () => {
    // The confirmation goes to whatever address was typed, from our domain, with the subject and
    // name typed: from many client addresses, the per-address limit alone did not bound it.
    const workspace = await createWorkspace()
    const { max } = outboundEmailLimit(false)
    const posts = await Promise.all(
      Array.from({ length: max + 4 }, (_, i) =>
        submit(workspace.slug, validForm({ email: `target-${i}@example.net` }), { ip: `203.0.113.${i + 1}` }),
      ),
    )
    expect(posts.map(({ result }) => result.status)).toEqual(Array(max + 4).fill(302))
    const unconfirmed = posts.filter(({ result }) => result.location?.endsWith('&unconfirmed'))
    expect(unconfirmed).toHaveLength(4)
    expect(await written(workspace.id)).toMatchObject({ tickets: max + 4, emails: max })
    // The page after the redirect says the confirmation was not emailed.
    const location = new URL(unconfirmed[0]!.result.location!, 'http://localhost:3000')
    const page = await callLoader(formRoute, `${location.pathname}${location.search}`, {
      params: { slug: workspace.slug },
    })
    expect(page.data.sent).toMatchObject({ emailed: false })
  })
})
