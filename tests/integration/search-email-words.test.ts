import { and, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { listQueue } from '#db/queries/queue.ts'
import { emails, tickets, users } from '#db/schema.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { releaseHeldReply } from '#app/domain/undo-send.server.ts'
import { asMember, createMember, createTicketFor, type TestMember } from '#tests/helpers/factories.ts'
import { rawModePost } from '#tests/helpers/inbound-post.ts'
import { inboundPostsSettled, postInbound, startInboundServer } from '#tests/helpers/inbound-server.ts'

/**
 * What search finds of an email beyond its text part (found by a tester): its files' names
 * (`invoice-4411.pdf`, the customer's and the agents'), and the words only its HTML part has when
 * it has a text part too (the text part alone was indexed).
 */
const SECRET = 'search-words-secret-0123456789abcdef'
const INBOUND = 'words.example.test'
let server: Awaited<ReturnType<typeof startInboundServer>>

beforeAll(async () => {
  server = await startInboundServer({ secret: SECRET, domain: INBOUND, maxPerSenderHour: 100 })
})
afterAll(async () => {
  await server?.close()
})

/** The numbers of the workspace's tickets the inbox's search finds for `q`. */
async function found(m: TestMember, q: string) {
  const page = await listQueue(getDb(), {
    workspaceId: m.workspace.id,
    userId: m.user.id,
    sort: 'relevance',
    filters: { view: 'all', q },
    limit: 50,
  })
  return page.rows.map((r) => r.number).sort((a, b) => a - b)
}

/** A multipart/alternative email (text and HTML) with a PDF attached, as a mail program sends it. */
function emailWithParts(to: string, id: string, text: string, html: string, file: string) {
  return Buffer.from(
    [
      `From: Carla <carla-${id}@example.org>`,
      `To: ${to}`,
      `Subject: Order ${id}`,
      `Message-ID: <${id}@example.org>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="mixed"',
      '',
      '--mixed',
      'Content-Type: multipart/alternative; boundary="alt"',
      '',
      '--alt',
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      '--alt',
      'Content-Type: text/html; charset=utf-8',
      '',
      html,
      '--alt--',
      '--mixed',
      `Content-Type: application/pdf; name="${file}"`,
      `Content-Disposition: attachment; filename="${file}"`,
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('%PDF-1.4 fake').toString('base64'),
      '--mixed--',
      '',
    ].join('\r\n'),
  )
}

async function file(to: string, eml: Buffer) {
  const post = rawModePost(eml, { envelopeTo: [to] })
  expect((await postInbound(server, SECRET, post)).status).toBe(200)
  await inboundPostsSettled()
}

describe('an inbound email', () => {
  it("is found by its attachment's name, whole or by its parts, and by words only its HTML part has", async () => {
    const m = await createMember()
    const to = `${m.workspace.slug}.support@${INBOUND}`
    await file(
      to,
      emailWithParts(
        to,
        'words-1',
        'Hello, my order has not arrived.',
        '<p>Hello, my order has <b>not</b> arrived. The <i>quokka</i> plush was a gift.</p>',
        'invoice-4411.pdf',
      ),
    )
    const [ticket] = await found(m, 'arrived')
    expect(ticket).toBeDefined()
    for (const q of ['quokka', 'plush gift', 'invoice-4411.pdf', 'invoice-4411', 'invoice', '4411']) {
      expect(await found(m, q), q).toEqual([ticket])
    }
    // Not everything matches: a word in neither part, a name not attached.
    expect(await found(m, 'wombat')).toEqual([])
    expect(await found(m, 'invoice-4412.pdf')).toEqual([])
  })

  it("adds a reply's HTML-only words and file names to its ticket, and the same words once", async () => {
    const m = await createMember()
    const to = `${m.workspace.slug}.support@${INBOUND}`
    await file(to, emailWithParts(to, 'words-2', 'First email.', '<p>First email.</p>', 'a.pdf'))
    const [ticket] = await found(m, 'first')
    const reply = emailWithParts(
      to,
      'words-3',
      'Here is the receipt.',
      '<p>Here is the receipt. Tracking <a href="https://example.org/t">numbat-77</a>.</p>',
      'Receipt_March 2026.PDF',
    )
      .toString()
      .replace('Subject: Order words-3', 'Subject: Re: Order words-2\r\nIn-Reply-To: <words-2@example.org>')
      .replace('From: Carla <carla-words-3@', 'From: Carla <carla-words-2@')
    await file(to, Buffer.from(reply))
    for (const q of ['receipt', 'numbat-77', 'numbat', 'march 2026', 'receipt_march']) {
      expect(await found(m, q), q).toEqual([ticket])
    }
    // Parts saying the same add nothing beyond the text part's words: "first" is there once.
    const [row] = await getDb()
      .select({ doc: sql<string>`${tickets.search}::text` })
      .from(tickets)
      .where(and(eq(tickets.workspaceId, m.workspace.id), eq(tickets.number, ticket)))
    expect(row.doc).toMatch(/'first':\d+B(\s|$)/)
  })
})

describe("an agent's files", () => {
  async function note(m: TestMember, number: number, filename: string, kind: 'note' | 'reply' = 'note') {
    return replyToTicket(
      asMember(m),
      number,
      {
        kind,
        body: 'See the attached file.',
        undoable: kind === 'reply',
        files: [{ filename, contentType: 'application/pdf', size: 12, sha256: 'c'.repeat(64) }],
      },
      { unlimited: true },
    )
  }

  it("are found by their names; a held reply's only once it is released", async () => {
    const m = await createMember()
    const t = await createTicketFor(m)
    expect((await note(m, t.number, 'credit-note-8812.pdf')).kind).toBe('sent')
    expect(await found(m, 'credit-note-8812.pdf')).toEqual([t.number])
    expect(await found(m, '8812')).toEqual([t.number])

    await getDb().update(users).set({ undoSendSeconds: 30 }).where(eq(users.id, m.user.id))
    const held = await note(m, t.number, 'refund-form-5521.pdf', 'reply')
    expect(held.kind).toBe('sent')
    expect(await found(m, '5521')).toEqual([])
    const [email] = await getDb()
      .select({ id: emails.id })
      .from(emails)
      .where(eq(emails.ticketId, t.ticketId))
    await releaseHeldReply(email!.id)
    expect(await found(m, '5521')).toEqual([t.number])
  })
})
