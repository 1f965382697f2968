import { Readable } from 'node:stream'
import { and, count, eq, ne } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { attachments, drafts, messages, tickets, users } from '#db/schema.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { storeStream } from '#app/integrations/storage.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { apiTokenFor } from '#tests/helpers/api.ts'
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
let ticketId = ''
let ticketNumber = 0

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
  ticketId = ticket.ticketId
  ticketNumber = ticket.number
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
    // Refused before it ran (the autosave used to be stored, then refused).
    // (The reply of beforeAll left the author's draft row empty, at its next generation.)
    const saved = await getDb()
      .select({ body: drafts.body })
      .from(drafts)
      .where(eq(drafts.ticketId, ticketId))
    expect(saved.map((d) => d.body)).not.toContain('Hello')
  })

  it('refuses every .data request under /api as a problem, before running anything', async () => {
    // Found from outside: `POST /api/v1/tickets.data` created a ticket and answered Remix's
    // encoded 404, so a client retrying made another; a PATCH changed the ticket, a note was
    // added, a webhook's secret rotated and the new one was never shown.
    const { token } = await apiTokenFor(owner)
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    const ticketsNow = async () =>
      (
        await getDb().select({ n: count() }).from(tickets).where(eq(tickets.workspaceId, owner.workspace.id))
      )[0]!.n
    const messagesNow = async () =>
      (await getDb().select({ n: count() }).from(messages).where(eq(messages.ticketId, ticketId)))[0]!.n
    const before = { tickets: await ticketsNow(), messages: await messagesNow() }
    const requests: Array<[string, string, unknown?]> = [
      [
        'POST',
        '/api/v1/tickets.data',
        { subject: 'Via .data', body: 'b', customer: { email: 'd@example.org' } },
      ],
      ['PATCH', `/api/v1/tickets/${ticketNumber}.data`, { subject: 'Changed through .data' }],
      [
        'POST',
        `/api/v1/tickets/${ticketNumber}/messages.data`,
        { kind: 'note', body: 'A note through .data' },
      ],
      ['GET', '/api/v1/tickets.data'],
      ['GET', `/api/v1/tickets/${ticketNumber}.data`],
      ['GET', '/api/v1/openapi.json.data'],
      ['GET', '/api/docs.data'],
    ]
    for (const server of [lean, remix]) {
      for (const [method, path, body] of requests) {
        const answer = await fetch(server.url + path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        })
        expect(answer.status, `${method} ${path}`).toBe(404)
        expect(answer.headers.get('content-type'), `${method} ${path}`).toContain('application/problem+json')
        expect((await answer.json()) as unknown, `${method} ${path}`).toMatchObject({ status: 404 })
      }
    }
    expect({ tickets: await ticketsNow(), messages: await messagesNow() }).toEqual(before)
    const [row] = await getDb()
      .select({ subject: tickets.subject })
      .from(tickets)
      .where(eq(tickets.id, ticketId))
    expect(row!.subject).toBe('A big file')
  })

  it('runs no route without a page through .data unless the app posts to it that way', async () => {
    // The account time zone's fetch target: its own answer (204), never a page's data.
    const answer = await fetch(`${lean.url}/account/time-zone.data`, {
      method: 'POST',
      headers: {
        cookie: owner.cookie,
        origin: lean.url,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ timeZone: 'Asia/Tokyo' }),
    })
    expect(answer.status).toBe(404)
    const [user] = await getDb()
      .select({ timeZone: users.timeZone })
      .from(users)
      .where(eq(users.id, owner.user.id))
    expect(user!.timeZone).not.toBe('Asia/Tokyo')
    const palette = await get(lean.url, `/w/${owner.workspace.slug}/palette.data?q=big`)
    expect(palette.status).toBe(404)
    expect(await palette.text()).not.toContain('A big file')
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
    // The app's front door (/), whose loader only redirects, followed with JavaScript after signing in.
    const front = await fetch(`${lean.url}/_root.data`, {
      headers: { cookie: owner.cookie },
      redirect: 'manual',
    })
    expect(front.status).toBe(202)
    expect(await front.text()).toContain('/login')
  })
})

/**
 * The redirect a single-fetch answer carries: where to, and whether the client must load the page
 * it lands on (`revalidate`). The answer's first line is turbo-stream's flat array: an object is
 * `{"_<index of its key>": <index of its value>}`, and a value is stored once and named by index.
 */
function singleFetchRedirect(text: string) {
  const flat = JSON.parse(text.split('\n')[0]!) as unknown[]
  const valueOf = (entry: unknown, key: string) => {
    const keyIndex = flat.indexOf(key)
    if (keyIndex < 0 || typeof entry !== 'object' || entry === null) return undefined
    const valueIndex = (entry as Record<string, number>)[`_${keyIndex}`]
    return valueIndex === undefined ? undefined : flat[valueIndex]
  }
  const answer = flat.find((entry) => valueOf(entry, 'redirect') !== undefined)
  return { redirect: valueOf(answer, 'redirect'), revalidate: valueOf(answer, 'revalidate') }
}

describe('an action’s redirect through .data', () => {
  // React Router follows a redirect that changes only the hash (a reply's `#m-<id>`) without
  // loading the page unless a reload is due; a reload that ended while the post was on its way
  // cleared that, and the composer remounted with the page from before the send (workspace.spec's
  // undo test under load; offline-reloads.spec has it in the browser). Every action's redirect
  // now says to load where it lands.
  const post = (agent: TestMember, path: string, form: Record<string, string>) =>
    fetch(`${lean.url}${path}.data`, {
      method: 'POST',
      headers: {
        cookie: agent.cookie,
        origin: lean.url,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(form),
    })

  it('loads the ticket it lands on after a reply (#m-…), an Undo send (#undone-…) and a field change', async () => {
    // Its own agent: the test above signed the owner out.
    const agent = await createMember('owner')
    const ticket = await createTicketFor(agent, { subject: 'Redirected' })
    const path = `/w/${agent.workspace.slug}/tickets/${ticket.number}`
    const sent = await post(agent, path, { intent: 'reply', kind: 'reply', body: 'Sent with its redirect.' })
    expect(sent.status).toBe(202)
    const reply = singleFetchRedirect(await sent.text())
    expect(reply.redirect).toMatch(new RegExp(`^${path}#m-[0-9a-f-]{36}$`))
    expect(reply.revalidate).toBe(true)
    const messageId = String(reply.redirect).split('#m-')[1]!

    const undone = await post(agent, path, { intent: 'undo-send', messageId })
    const undo = singleFetchRedirect(await undone.text())
    expect(undo).toEqual({ redirect: `${path}#undone-${messageId}`, revalidate: true })

    const changed = await post(agent, path, { intent: 'update', priority: 'high' })
    expect(singleFetchRedirect(await changed.text())).toEqual({ redirect: path, revalidate: true })
  })
})
