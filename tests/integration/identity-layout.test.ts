import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { sessions } from '#db/schema.ts'
import { eq } from 'drizzle-orm'
import { addMember, createMember, createTicketFor, createUser, setTicket } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'

// For a GET of the inbox, the home page or a ticket page, the session renewal's identity lookup
// reads the workspace layout's row in the same statement (db/queries/layout.ts,
// getIdentityWithLayout) and the layout's loader takes it from the request's memo. Over the real
// server and build: same data as the layout's own statement, nothing of another workspace, and
// every change visible on the next request (nothing is kept between requests).

let server: Awaited<ReturnType<typeof startTestServer>>

// Statements sent to PostgreSQL, counted at the driver (requests here run one at a time), and
// the identity lookups among them (the prepared statement identity_by_session).
let statements = 0
let identityReads = 0
// Statements that read an inbox page with the identity (queueListingColumn's column).
let carriedPages = 0
const query = pg.Client.prototype.query
beforeAll(async () => {
  pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
    statements++
    const config = args[0] as { name?: string; text?: string } | undefined
    if (config?.name === 'identity_by_session') identityReads++
    if (config?.text?.includes(' as queue_page')) carriedPages++
    return (query as (...a: unknown[]) => unknown).apply(this, args)
  } as typeof query
  server = await startTestServer({ sockets: false })
})
afterAll(async () => {
  pg.Client.prototype.query = query
  await server?.close()
})

async function get(path: string, cookie: string) {
  const before = statements
  const res = await fetch(server.url + path, { headers: { cookie }, redirect: 'manual' })
  const body = await res.text()
  return { status: res.status, body, statements: statements - before }
}

const LAYOUT = '_routes=routes%2Fw.%24slug'

describe('identity and layout in one statement', () => {
  it('answers the inbox, home and ticket data in one statement fewer, with the layout the layout’s own statement gives', async () => {
    const a = await createMember('owner')
    const slug = a.workspace.slug
    const { number } = await createTicketFor(a, { subject: 'Folded' })
    // Identity + layout + the queue's filter options + the queue's page: one statement.
    const queue = await get(`/w/${slug}/tickets.data`, a.cookie)
    expect(queue.status).toBe(200)
    expect(queue.body).toContain('Folded')
    expect(queue.statements).toBe(1)
    // A search is planned on its own: identity + layout, then the search.
    const search = await get(`/w/${slug}/tickets.data?q=folded`, a.cookie)
    expect(search.body).toContain('Folded')
    expect(search.statements).toBe(2)
    // Identity + layout with the checklist: the home page in one statement.
    const home = await get(`/w/${slug}.data`, a.cookie)
    expect(home.status).toBe(200)
    expect(home.statements).toBe(1)
    // The layout loader's data alone: folded for a ticket page, the layout's own statement for
    // the customers page. The same bytes.
    const folded = await get(`/w/${slug}/tickets/${number}.data?${LAYOUT}`, a.cookie)
    const own = await get(`/w/${slug}/customers.data?${LAYOUT}`, a.cookie)
    expect(folded.status).toBe(200)
    expect(folded.body).toBe(own.body)
    expect(folded.statements).toBe(1)
    expect(own.statements).toBe(2)
  })

  it('carries the inbox’s page in the identity’s statement: the rows and pages its own statement gives', async () => {
    const a = await createMember('owner')
    const slug = a.workspace.slug
    const teammate = await createUser()
    await addMember(a.workspace.id, teammate.id, 'agent')
    for (let i = 0; i < 30; i++) {
      const ticket = await createTicketFor(a, { subject: `Row ${String(i).padStart(2, '0')}` })
      if (i % 3 === 0) await setTicket(ticket.ticketId, { assigneeId: a.user.id })
      if (i % 3 === 1) await setTicket(ticket.ticketId, { assigneeId: teammate.id })
    }
    // Row subjects in the order the answer holds them (turbo-stream writes each string once).
    const order = (body: string) => [...body.matchAll(/Row \d\d/g)].map((m) => m[0])
    const onlyPage = '_routes=routes%2Fw.%24slug.tickets._index'
    for (const query of [
      '',
      'view=mine',
      'view=unassigned',
      'view=all&sort=created',
      'view=all&sort=priority',
    ]) {
      const carried = await get(`/w/${slug}/tickets.data?${query}`, a.cookie)
      // Without the layout's loader, the identity is read alone, and the page and the filters'
      // options by statements of their own.
      const own = await get(`/w/${slug}/tickets.data?${query}&${onlyPage}`, a.cookie)
      expect(carried.statements, query).toBe(1)
      expect(own.statements, query).toBe(3)
      expect(order(carried.body), query).toEqual(order(own.body))
      expect(order(carried.body).length, query).toBeGreaterThan(0)
    }
    // A request for the layout's data alone reads no page of tickets.
    const pagesBefore = carriedPages
    const layoutOnly = await get(`/w/${slug}/tickets.data?${LAYOUT}`, a.cookie)
    expect(layoutOnly.statements).toBe(1)
    expect(order(layoutOnly.body)).toEqual([])
    expect(carriedPages).toBe(pagesBefore)
    // The next page through the document's link, carried the same way.
    const first = await get(`/w/${slug}/tickets`, a.cookie)
    expect(first.statements).toBe(1)
    expect(order(first.body).slice(0, 25)).toEqual(
      Array.from({ length: 25 }, (_, i) => `Row ${String(29 - i).padStart(2, '0')}`),
    )
    const after = /href="[^"]*[?&]after=([^"&]+)"/.exec(first.body)?.[1]
    expect(after).toBeTruthy()
    const next = await get(`/w/${slug}/tickets.data?after=${after}`, a.cookie)
    const nextOwn = await get(`/w/${slug}/tickets.data?after=${after}&${onlyPage}`, a.cookie)
    expect(next.statements).toBe(1)
    expect(order(next.body)).toEqual(['Row 04', 'Row 03', 'Row 02', 'Row 01', 'Row 00'])
    expect(order(nextOwn.body)).toEqual(order(next.body))
  })

  it('reads nothing of a workspace for someone who is not its member', async () => {
    const a = await createMember('owner')
    const b = await createMember('owner')
    await createTicketFor(b, { subject: 'Secret of B' })
    for (const path of [
      `/w/${b.workspace.slug}/tickets.data`,
      `/w/${b.workspace.slug}.data`,
      `/w/${b.workspace.slug}/tickets`,
    ]) {
      const res = await get(path, a.cookie)
      expect(res.status, path).toBe(404)
      expect(res.body).not.toContain('Secret of B')
      expect(res.body).not.toContain(b.user.email)
    }
  })

  it('shows a change on the next request: counts, a new teammate, a revoked session', async () => {
    const a = await createMember('owner')
    const slug = a.workspace.slug
    const before = await get(`/w/${slug}.data`, a.cookie)
    expect(before.body).toContain('"memberCount",1')
    const mine = await createTicketFor(a, { subject: 'Mine now' })
    await setTicket(mine.ticketId, { assigneeId: a.user.id })
    const teammate = await createUser()
    await addMember(a.workspace.id, teammate.id, 'agent')
    const after = await get(`/w/${slug}.data`, a.cookie)
    expect(after.body).toContain('"memberCount",2')
    expect(after.body).not.toBe(before.body)
    // The sidebar's Mine count (the layout's) and the Mine view.
    expect(before.body).toContain('"mine",0')
    expect(after.body).toContain('"mine",1')
    const queue = await get(`/w/${slug}/tickets.data?view=mine`, a.cookie)
    expect(queue.body).toContain('Mine now')

    await getDb().delete(sessions).where(eq(sessions.id, a.sessionId))
    const revoked = await get(`/w/${slug}/tickets.data`, a.cookie)
    // The guard's redirect to the login page, as a single-fetch redirect.
    expect(revoked.status).toBe(202)
    expect(revoked.body).toContain('/login?redirectTo=')
    expect(revoked.body).not.toContain('Mine now')
  })
})

describe('a POST reads the identity once', () => {
  async function postNote(slug: string, number: number, cookie: string, body: string) {
    const before = identityReads
    const res = await fetch(`${server.url}/w/${slug}/tickets/${number}`, {
      method: 'POST',
      headers: { cookie, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ intent: 'reply', kind: 'note', body }).toString(),
      redirect: 'manual',
    })
    return { res, identityReads: identityReads - before }
  }

  it('renews a session due for renewal in the action’s own identity read, and leaves a fresh one alone', async () => {
    const a = await createMember('agent')
    const { number } = await createTicketFor(a)
    const due = new Date(Date.now() + 20 * 24 * 3600 * 1000)
    await getDb().update(sessions).set({ expiresAt: due }).where(eq(sessions.id, a.sessionId))

    const first = await postNote(a.workspace.slug, number, a.cookie, 'First note')
    expect(first.res.status).toBe(302)
    expect(first.identityReads).toBe(1)
    expect(first.res.headers.get('set-cookie')).toMatch(/__sb_session=.*Max-Age=2592000/)
    const [renewed] = await getDb().select().from(sessions).where(eq(sessions.id, a.sessionId))
    expect(renewed.expiresAt.getTime()).toBeGreaterThan(Date.now() + 29 * 24 * 3600 * 1000)

    // Just renewed: the next POST writes no session and sends no cookie, still one identity read.
    const second = await postNote(a.workspace.slug, number, a.cookie, 'Second note')
    expect(second.res.status).toBe(302)
    expect(second.identityReads).toBe(1)
    expect(second.res.headers.get('set-cookie')).toBeNull()
  })

  it('refuses a POST whose session was revoked, renewing nothing', async () => {
    const a = await createMember('agent')
    const { number } = await createTicketFor(a)
    await getDb().delete(sessions).where(eq(sessions.id, a.sessionId))
    const refused = await postNote(a.workspace.slug, number, a.cookie, 'Too late')
    expect(refused.res.status).toBe(302)
    expect(refused.res.headers.get('location')).toMatch(/^\/login\?redirectTo=/)
    expect(refused.res.headers.get('set-cookie')).toBeNull()
  })
})
