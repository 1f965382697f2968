import { Readable } from 'node:stream'
import { and, eq, ne } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { attachments, messages } from '#db/schema.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { storeStream } from '#app/integrations/storage.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { asMember, createMember, createTicketFor, type TestMember } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// A `.data` request (Remix single fetch) for a route whose loader or action answers with a
// Response of its own (a file, an email's HTML frame) is refused: Remix would read that body whole
// into memory, as text, and send it without its download and sandbox headers (a security probe
// took the server to 1.7 GB with 20 such requests for one 20 MB file, through a customer's link,
// no account needed). Data and redirects still go through `.data`, as the app's pages need.

const FILE_BYTES = 2 * 1024 * 1024
let lean: Awaited<ReturnType<typeof startTestServer>>
let remix: Awaited<ReturnType<typeof startTestServer>>
let owner: TestMember
const paths = { attachment: '', customerFile: '', email: '', ticket: '' }

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
  lean = await startTestServer({ sockets: false })
  remix = await startTestServer({ sockets: false, leanDataRequests: false })
  owner = await createMember('owner')
  const ticket = await createTicketFor(owner, { subject: 'A big file' })
  const stored = await storeStream(Readable.from([Buffer.alloc(FILE_BYTES, 'x')]), 10 * 1024 * 1024)
  const outcome = await replyToTicket(asMember(owner), ticket.number, {
    kind: 'reply',
    body: 'Here is the file.',
    files: [{ filename: 'big.pdf', contentType: 'application/pdf', ...stored }],
  })
  if (outcome.kind !== 'sent') throw new Error('reply not sent')
  const [file] = await getDb().select().from(attachments).where(eq(attachments.messageId, outcome.messageId))
  // The customer's message as if it came by email with an HTML part (what the frame shows).
  const [first] = await getDb()
    .update(messages)
    .set({ bodyHtml: '<p>Hello from an email</p>' })
    .where(and(eq(messages.ticketId, ticket.ticketId), ne(messages.id, outcome.messageId)))
    .returning({ id: messages.id })
  const slug = owner.workspace.slug
  const token = new URL(ticket.customerLink).pathname.split('/').pop()!
  paths.attachment = `/w/${slug}/attachments/${file.id}`
  paths.customerFile = `/support/t/${token}/files/${file.id}`
  paths.email = `/w/${slug}/messages/${first.id}/email`
  paths.ticket = `/w/${slug}/tickets/${ticket.number}`
})
afterAll(async () => {
  await lean?.close()
  await remix?.close()
})

const get = (base: string, path: string) =>
  fetch(base + path, { headers: { cookie: owner.cookie }, redirect: 'manual' })

describe('.data requests for what a route answers with a Response of its own', () => {
  it('downloads the file at its own address, with its headers; the email frame has its own', async () => {
    for (const path of [paths.attachment, paths.customerFile]) {
      const answer = await get(lean.url, path)
      expect(answer.status, path).toBe(200)
      expect(answer.headers.get('content-disposition'), path).toMatch(/^attachment/)
      expect((await answer.arrayBuffer()).byteLength, path).toBe(FILE_BYTES)
    }
    // The email frame's own Referrer-Policy replaces the app's default (it was sent twice).
    const frame = await get(lean.url, paths.email)
    expect(frame.status).toBe(200)
    expect(frame.headers.get('referrer-policy')).toBe('no-referrer')
  })

  it('refuses the file, the customer’s file and the email frame as .data (404, nothing of them)', async () => {
    for (const server of [lean, remix]) {
      for (const path of [paths.attachment, paths.customerFile, paths.email]) {
        const answer = await get(server.url, `${path}.data`)
        const body = await answer.text()
        expect(answer.status, path).toBe(404)
        expect(body.length, path).toBeLessThan(4000)
        expect(body, path).not.toContain('xxxxxxxx')
      }
    }
  })

  it('refuses a POST .data to a route that answers with its own Response (the draft autosave)', async () => {
    const answer = await fetch(`${lean.url}${paths.ticket}/draft.data`, {
      method: 'POST',
      headers: {
        cookie: owner.cookie,
        origin: lean.url,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ kind: 'reply', body: 'Hello', generation: '0' }),
    })
    expect(answer.status).toBe(404)
  })

  it('still answers pages’ data and redirects through .data', async () => {
    const page = await get(lean.url, `${paths.ticket}.data`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('A big file')
    // Sign out with JavaScript: a POST .data to a route that only redirects.
    const out = await fetch(`${lean.url}/logout.data`, {
      method: 'POST',
      headers: {
        cookie: owner.cookie,
        origin: lean.url,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: '',
    })
    expect(out.status).toBe(202)
    expect(await out.text()).toContain('/login')
  })
})
