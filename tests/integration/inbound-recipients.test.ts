import { randomBytes } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { inboundEmails, tickets } from '#db/schema.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { multipartBody, rawModePost } from '#tests/helpers/inbound-post.ts'
import { inboundPostsSettled, startInboundServer } from '#tests/helpers/inbound-server.ts'

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
