import { randomBytes } from 'node:crypto'
import { and, eq, inArray, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { contacts, emails, inboundEmails, mailboxes, messages, tickets } from '#db/schema.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { multipartBody, parsedModePost, rawModePost } from '#tests/helpers/inbound-post.ts'
import { inboundPostsSettled, startInboundServer } from '#tests/helpers/inbound-server.ts'
import { waitFor } from '#tests/helpers/wait.ts'

/**
 * Which recipients route an inbound email, and how many of them are looked at: probed from
 * outside on the production build (2026-12-07).
 */
const SECRET = 'recipients-secret-0123456789abcdef'
const INBOUND = 'rcpt.example.test'
let server: Awaited<ReturnType<typeof startInboundServer>>
let n = 0
/** CANDIDATES of inbound-routing.server.ts, as docs/data-flow.md states it. */
const CANDIDATES = 50

beforeAll(async () => {
  server = await startInboundServer({ secret: SECRET, domain: INBOUND, maxPerSenderHour: 100 })
})
afterAll(async () => {
  await server?.close()
})

async function post(p: { body: Buffer; contentType: string }) {
  const response = await fetch(`${server.url}/webhooks/sendgrid/inbound/${SECRET}`, {
    method: 'POST',
    headers: { 'content-type': p.contentType },
    body: new Uint8Array(p.body),
  })
  expect(response.status).toBe(200)
}

const settled = () => inboundPostsSettled()

const forwarding = (slug: string, key = 'support') => `${slug}.${key}@${INBOUND}`
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'
const tokenShaped = () => `z.k+${Array.from(randomBytes(20), (b) => BASE32[b & 31]).join('')}@${INBOUND}`

function email(headers: { from?: string; to: string; cc?: string; subject?: string; extra?: string }) {
  const id = `rcpt-${++n}-${randomBytes(4).toString('hex')}`
  return {
    id: `<${id}@example.org>`,
    eml: Buffer.from(
      `From: ${headers.from ?? 'Casey <casey@example.org>'}\r\nTo: ${headers.to}\r\n` +
        (headers.cc ? `Cc: ${headers.cc}\r\n` : '') +
        `Subject: ${headers.subject ?? `Question ${n}`}\r\nMessage-ID: <${id}@example.org>\r\n${headers.extra ?? ''}\r\nHello, a question.\r\n`,
    ),
  }
}

function ticketsOf(workspaceId: string) {
  return getDb()
    .select({ id: tickets.id, mailboxId: tickets.mailboxId, subject: tickets.subject })
    .from(tickets)
    .where(eq(tickets.workspaceId, workspaceId))
}

describe('how many recipients routing looks at', () => {
  it('files an email whose To lists 20,000 token-shaped addresses by its envelope, in bounded time', async () => {
    const m = await createMember()
    const list = Array.from({ length: 20_000 }, tokenShaped).join(', ')
    const { eml } = email({ to: list })
    // Parsed mode, as probed: the addresses in `to` and in the header block.
    const head = eml.toString('latin1').split('\r\n\r\n')[0]
    const started = performance.now()
    await post(
      multipartBody([
        { name: 'headers', value: head },
        { name: 'to', value: list },
        { name: 'from', value: 'Casey <casey@example.org>' },
        { name: 'subject', value: 'Flood' },
        { name: 'text', value: 'Hello' },
        {
          name: 'envelope',
          value: JSON.stringify({ to: [forwarding(m.workspace.slug)], from: 'casey@example.org' }),
        },
      ]),
    )
    await settled()
    // One lookup per address took ~10 s for this post.
    expect(performance.now() - started).toBeLessThan(3_000)
    expect(await ticketsOf(m.workspace.id)).toHaveLength(1)
  })

  it(`looks at the first ${CANDIDATES} distinct recipients only, the envelope's first`, async () => {
    const m = await createMember()
    const others = Array.from({ length: CANDIDATES }, tokenShaped)
    // Listed twice: each address counts once.
    const to = [...others, ...others, forwarding(m.workspace.slug)].join(', ')
    await post(rawModePost(email({ to }).eml, { envelopeTo: others.slice(0, 5) }))
    await settled()
    expect(await ticketsOf(m.workspace.id)).toHaveLength(0)
    const [last] = await getDb()
      .select({ status: inboundEmails.status })
      .from(inboundEmails)
      .orderBy(sql`received_at desc, id desc`)
      .limit(1)
    expect(last.status).toBe('unrouted')
    await post(rawModePost(email({ to }).eml, { envelopeTo: [forwarding(m.workspace.slug), ...others] }))
    await settled()
    expect(await ticketsOf(m.workspace.id)).toHaveLength(1)
  })
})

async function inboundRowsOf(workspaceId: string) {
  return getDb()
    .select({ status: inboundEmails.status, mailboxId: inboundEmails.mailboxId })
    .from(inboundEmails)
    .where(eq(inboundEmails.workspaceId, workspaceId))
}

describe('an email addressed to several workspaces', () => {
  it('gives each workspace its own ticket, contact and acknowledgement, as if each had its own copy', async () => {
    const a = await createMember()
    const b = await createMember()
    await getDb()
      .update(mailboxes)
      .set({ autoAcknowledge: true, autoAcknowledgeText: 'We got it.' })
      .where(inArray(mailboxes.workspaceId, [a.workspace.id, b.workspace.id]))
    const to = `${forwarding(a.workspace.slug)}, ${forwarding(b.workspace.slug)}`
    const { eml } = email({ to })
    await post(rawModePost(eml, { envelopeTo: [forwarding(a.workspace.slug), forwarding(b.workspace.slug)] }))
    await settled()
    for (const m of [a, b]) {
      const list = await ticketsOf(m.workspace.id)
      expect(list).toHaveLength(1)
      expect(await inboundRowsOf(m.workspace.id)).toEqual([{ status: 'filed', mailboxId: list[0].mailboxId }])
      const customers = await getDb()
        .select({ email: contacts.email })
        .from(contacts)
        .where(eq(contacts.workspaceId, m.workspace.id))
      expect(customers).toEqual([{ email: 'casey@example.org' }])
      const acks = await getDb()
        .select({ to: emails.toAddress })
        .from(emails)
        .where(and(eq(emails.workspaceId, m.workspace.id), eq(emails.kind, 'auto-acknowledgement')))
      expect(acks).toEqual([{ to: 'casey@example.org' }])
    }
    // The same email again, in the other mode (another post): a duplicate in each workspace.
    await post(
      await parsedModePost(eml, { envelopeTo: [forwarding(b.workspace.slug), forwarding(a.workspace.slug)] }),
    )
    await settled()
    for (const m of [a, b]) {
      expect(await ticketsOf(m.workspace.id)).toHaveLength(1)
      expect((await inboundRowsOf(m.workspace.id)).map((r) => r.status).sort()).toEqual([
        'duplicate',
        'filed',
      ])
    }
  })

  it('appends a reply to the ticket whose token it carries and opens a ticket in the other workspace', async () => {
    const a = await createMember()
    const b = await createMember()
    const t = await createTicketFor(a, { customerEmail: 'casey@example.org' })
    const [{ replyToken }] = await getDb()
      .select({ replyToken: tickets.replyToken })
      .from(tickets)
      .where(eq(tickets.id, t.ticketId))
    const reply = `${a.workspace.slug}.support+${replyToken}@${INBOUND}`
    const to = `${forwarding(b.workspace.slug)}, ${reply}`
    await post(rawModePost(email({ to }).eml, { envelopeTo: [forwarding(b.workspace.slug), reply] }))
    await settled()
    expect(await ticketsOf(a.workspace.id)).toHaveLength(1)
    const thread = await getDb()
      .select({ threadedBy: messages.threadedBy })
      .from(messages)
      .where(eq(messages.ticketId, t.ticketId))
      .orderBy(messages.createdAt)
    expect(thread.map((m) => m.threadedBy)).toEqual([null, 'token'])
    expect(await ticketsOf(b.workspace.id)).toHaveLength(1)
  })

  it('makes one ticket when two mailboxes of one workspace are addressed, in the mailbox listed first', async () => {
    const m = await createMember()
    const [sales] = await getDb()
      .insert(mailboxes)
      .values({
        workspaceId: m.workspace.id,
        name: 'Sales',
        key: 'sales',
        address: `sales-${m.workspace.slug}@example.com`,
        fromName: 'Sales',
      })
      .returning({ id: mailboxes.id })
    const to = [forwarding(m.workspace.slug, 'sales'), forwarding(m.workspace.slug)]
    await post(rawModePost(email({ to: to.join(', ') }).eml, { envelopeTo: to }))
    await settled()
    expect(await ticketsOf(m.workspace.id)).toEqual([expect.objectContaining({ mailboxId: sales.id })])
    expect(await inboundRowsOf(m.workspace.id)).toEqual([{ status: 'filed', mailboxId: sales.id }])
  })

  it('files it in the other workspaces when filing into one fails, and there on its retry', async () => {
    const a = await createMember()
    const b = await createMember()
    // A real PostgreSQL error for A's first ticket insert only (a sequence is not rolled back),
    // as a passing fault of that workspace's filing would be.
    await getDb().execute(
      sql.raw(`create sequence refuse_once;
        create function refuse_workspace_once() returns trigger language plpgsql as $$
        begin
          if new.workspace_id = '${a.workspace.id}' and nextval('refuse_once') = 1 then
            raise exception 'refused for the test';
          end if;
          return new;
        end $$;
        create trigger refuse_workspace_once before insert on tickets
          for each row execute function refuse_workspace_once();`),
    )
    try {
      const to = [forwarding(a.workspace.slug), forwarding(b.workspace.slug)]
      await post(rawModePost(email({ to: to.join(', ') }).eml, { envelopeTo: to }))
      // A's job files it on its retry, 2 s after the failure.
      await waitFor(async () => (await ticketsOf(a.workspace.id)).length === 1, 30_000)
      await settled()
    } finally {
      await getDb().execute(
        sql.raw(`drop trigger refuse_workspace_once on tickets; drop function refuse_workspace_once();
          drop sequence refuse_once;`),
      )
    }
    const created = await getDb()
      .select({ workspaceId: tickets.workspaceId })
      .from(tickets)
      .where(inArray(tickets.workspaceId, [a.workspace.id, b.workspace.id]))
      .orderBy(tickets.createdAt)
    // B's copy was filed while A's filing waited for its retry.
    expect(created.map((t) => t.workspaceId)).toEqual([b.workspace.id, a.workspace.id])
  }, 40_000)
})

describe('addresses no reply could reach (probed 2026-12-07)', () => {
  it.each(['raw', 'parsed'] as const)(
    'refuses an email from a 300-character local part or an internationalised address, with no contact (%s mode)',
    async (mode) => {
      const m = await createMember()
      const to = forwarding(m.workspace.slug)
      for (const from of [`${'x'.repeat(300)}@example.org`, 'ü@bücher.de']) {
        const { eml } = email({ from: `Someone <${from}>`, to })
        await post(
          mode === 'raw'
            ? rawModePost(eml, { envelopeTo: [to] })
            : await parsedModePost(eml, { envelopeTo: [to] }),
        )
      }
      await settled()
      const rows = await getDb()
        .select({ status: inboundEmails.status, error: inboundEmails.error })
        .from(inboundEmails)
        .where(eq(inboundEmails.workspaceId, m.workspace.id))
      expect(rows).toEqual([
        { status: 'failed', error: 'Sender address (From) is not one we can reply to' },
        { status: 'failed', error: 'Sender address (From) is not one we can reply to' },
      ])
      expect(await ticketsOf(m.workspace.id)).toHaveLength(0)
      expect(await getDb().select().from(contacts).where(eq(contacts.workspaceId, m.workspace.id))).toEqual(
        [],
      )
    },
  )

  it("keeps only the CC'd addresses a reply can be sent to on the ticket", async () => {
    const m = await createMember()
    const to = forwarding(m.workspace.slug)
    const cc = `${'y'.repeat(65)}@example.org, ü@bücher.de, pat@example.org`
    await post(rawModePost(email({ to, cc }).eml, { envelopeTo: [to] }))
    await settled()
    const [ticket] = await getDb()
      .select({ cc: tickets.cc })
      .from(tickets)
      .where(eq(tickets.workspaceId, m.workspace.id))
    expect(ticket.cc).toEqual(['pat@example.org'])
  })
})
