import { sql } from 'drizzle-orm'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { apiClient, apiTokenFor } from '#tests/helpers/api.ts'
import { addMember, createMember, createTicketFor, createUser } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'

// GET /api/v1/tickets writes each row's JSON in PostgreSQL (db/queries/api-tickets.ts): it must
// be the ticket exactly as the rest of the API shows it, and filter and page as the queue does.

let server: Awaited<ReturnType<typeof startTestServer>>
let call: ReturnType<typeof apiClient>

beforeAll(async () => {
  server = await startTestServer({ sockets: false })
  call = apiClient(server.url)
})
afterAll(async () => {
  await server.close()
})

type Summary = {
  id: string
  number: number
  subject: string
  status: string
  priority: string
  contact: { name: string; email: string }
  cc: string[]
  assignee: { id: string; name: string } | null
  tags: Array<{ id: string; name: string }>
  created_at: string
  last_activity_at: string
}

/**
 * How many statements the in-process server ran while `request` was answered (as
 * scripts/bench-query-counter.js counts them for the bench: pg.Client#query calls). The test makes
 * one request at a time, and nothing else of this file's runs meanwhile.
 */
async function countingStatements<T>(request: () => Promise<T>) {
  const query = pg.Client.prototype.query
  let statements = 0
  pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
    statements++
    return (query as (...a: unknown[]) => unknown).apply(this, args)
  } as typeof query
  try {
    const result = await request()
    return { result, statements }
  } finally {
    pg.Client.prototype.query = query
  }
}

async function numbers(token: string, query: string) {
  const res = await call('GET', `/api/v1/tickets?${query}`, { token })
  expect(res.status, res.text).toBe(200)
  return (res.json.data as Summary[]).map((t) => t.number).sort((a, b) => a - b)
}

describe('GET /api/v1/tickets', () => {
  it('lists each ticket as GET /api/v1/tickets/{number} shows it: contact, assignee, tags by name, times to the millisecond', async () => {
    const owner = await createMember('owner')
    const { token } = await apiTokenFor(owner)
    const subject = 'Quote " back\\slash\nnew line\ttab é 😀 \u0001 </script>'
    const zoe = await createTicketFor(owner, {
      subject,
      customerName: 'Zoë "Z" O’Neil',
      customerEmail: 'zoe@example.org',
    })
    // A CC list as old data or a contact merge may leave it: repeats in another case, spaces, an
    // empty entry, the customer's own address. Both answers give it as a reply copies it.
    await getDb().execute(
      sql`update tickets set cc = array['Partner@Example.org', ' partner@example.org', 'ZOE@example.org', '', 'third@example.net '] where id = ${zoe.ticket.id}`,
    )
    await createTicketFor(owner)
    const tagged = await createTicketFor(owner)
    const patch = await call('PATCH', `/api/v1/tickets/${tagged.number}`, {
      token,
      body: { assignee_id: owner.user.id, tags: ['zeta', 'Alpha'], priority: 'high', status: 'pending' },
    })
    expect(patch.status, patch.text).toBe(200)
    // Microseconds below the millisecond are cut, as JavaScript's Date does.
    await getDb().execute(
      sql`update tickets set created_at = '2026-03-04 05:06:07.123999+00' where id = ${tagged.ticket.id}`,
    )

    const res = await call('GET', '/api/v1/tickets', { token })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const listed = res.json.data as Summary[]
    expect(listed).toHaveLength(3)
    expect(res.json.next_cursor).toBeNull()
    for (const item of listed) {
      const one = await call('GET', `/api/v1/tickets/${item.number}`, { token })
      const { contact, channel: _c, mailbox: _m, first_response_at: _f, resolved_at: _r, ...rest } = one.json
      expect(item).toEqual({ ...rest, contact: { name: contact.name, email: contact.email } })
      expect(Object.keys(item)).toEqual([
        'id',
        'number',
        'subject',
        'status',
        'priority',
        'contact',
        'cc',
        'assignee',
        'tags',
        'created_at',
        'last_activity_at',
      ])
    }
    const byNumber = new Map(listed.map((t) => [t.number, t]))
    expect(byNumber.get(1)!.subject).toBe(subject)
    expect(byNumber.get(1)!.contact).toEqual({ name: 'Zoë "Z" O’Neil', email: 'zoe@example.org' })
    expect(byNumber.get(1)!.cc).toEqual(['Partner@Example.org', 'third@example.net'])
    expect(byNumber.get(2)!.cc).toEqual([])
    const t = byNumber.get(tagged.number)!
    expect(t.created_at).toBe('2026-03-04T05:06:07.123Z')
    expect(t.tags.map((tag) => tag.name)).toEqual(['Alpha', 'zeta'])
    expect(t.assignee).toEqual({ id: owner.user.id, name: expect.any(String) })
    // Newest first by creation: the back-dated ticket is last.
    expect(listed.map((x) => x.number)).toEqual([2, 1, tagged.number])
  })

  it('applies the queue’s filters, and only to the token’s workspace', async () => {
    const owner = await createMember('owner')
    const { token } = await apiTokenFor(owner)
    const agent = await createUser({ name: 'Agent Ann' })
    await addMember(owner.workspace.id, agent.id, 'agent')
    const other = await createMember('owner')
    await createTicketFor(other, { subject: 'Teapot elsewhere', customerEmail: 'teapot@acme.example' })

    const plain = await createTicketFor(owner, { subject: 'Blue teapot missing' })
    const assigned = await createTicketFor(owner, {
      subject: 'Invoice copy',
      customerEmail: 'billing@acme.example',
    })
    const urgent = await createTicketFor(owner, { subject: 'Site down' })
    expect(
      (
        await call('PATCH', `/api/v1/tickets/${assigned.number}`, {
          token,
          body: { assignee_id: agent.id, tags: ['billing'] },
        })
      ).status,
    ).toBe(200)
    expect(
      (
        await call('PATCH', `/api/v1/tickets/${urgent.number}`, {
          token,
          body: { priority: 'urgent', status: 'resolved' },
        })
      ).status,
    ).toBe(200)
    const tagId = (await call('GET', '/api/v1/tags', { token })).json.data[0].id as string
    await getDb().execute(
      sql`update tickets set updated_at = '2020-01-01T00:00:00Z' where id in (${plain.ticket.id}, ${assigned.ticket.id})`,
    )

    expect(await numbers(token, '')).toEqual([plain.number, assigned.number, urgent.number])
    expect(await numbers(token, 'status=open')).toEqual([plain.number, assigned.number])
    expect(await numbers(token, 'status=resolved&priority=urgent')).toEqual([urgent.number])
    expect(await numbers(token, 'priority=low')).toEqual([])
    expect(await numbers(token, `assignee=${agent.id}`)).toEqual([assigned.number])
    expect(await numbers(token, 'assignee=none')).toEqual([plain.number, urgent.number])
    expect(await numbers(token, `mailbox=${plain.mailboxId}`)).toEqual([
      plain.number,
      assigned.number,
      urgent.number,
    ])
    expect(await numbers(token, `tag=${tagId}`)).toEqual([assigned.number])
    expect(await numbers(token, 'updated_since=2021-01-01T00:00:00Z')).toEqual([urgent.number])
    // Full text in the ticket, and from 3 characters a part of the customer's email.
    expect(await numbers(token, 'q=teapot')).toEqual([plain.number])
    expect(await numbers(token, 'q=acme')).toEqual([assigned.number])
    expect(await numbers(token, 'q=teapot&status=resolved')).toEqual([])
    // A ticket by its number, with or without `#`, beside what the text matches; none by that number: none.
    expect(await numbers(token, `q=%23${urgent.number}`)).toEqual([urgent.number])
    expect(await numbers(token, `q=${urgent.number}`)).toEqual([urgent.number])
    expect(await numbers(token, `q=${urgent.number}&status=open`)).toEqual([])
    expect(await numbers(token, 'q=987654321')).toEqual([])
  })

  it('costs the same statements for 25 tickets with CC lists as for one: cc is read from the page’s rows', async () => {
    const owner = await createMember('owner')
    const { token } = await apiTokenFor(owner)
    for (let i = 0; i < 25; i++) await createTicketFor(owner)
    await getDb().execute(
      sql`update tickets set cc = array['a-' || number || '@example.org', 'b@example.org'] where workspace_id = ${owner.workspace.id}`,
    )
    const statements = async (limit: number) => {
      await call('GET', '/api/v1/tickets?limit=1', { token }) // the token's first use writes more
      const counted = await countingStatements(() => call('GET', `/api/v1/tickets?limit=${limit}`, { token }))
      expect(counted.result.status).toBe(200)
      expect(counted.result.json.data).toHaveLength(limit)
      for (const item of counted.result.json.data as Summary[]) {
        expect(item.cc).toEqual([`a-${item.number}@example.org`, 'b@example.org'])
      }
      return counted.statements
    }
    const one = await statements(1)
    expect(await statements(25)).toBe(one)
    // The token's check and the page's one statement (docs/performance.md: the API list, 4 → 2).
    expect(one).toBeLessThanOrEqual(2)
  })

  it('pages tickets created in the same microsecond by id, each once', async () => {
    const owner = await createMember('owner')
    const { token } = await apiTokenFor(owner)
    for (let i = 0; i < 5; i++) await createTicketFor(owner)
    await getDb().execute(
      sql`update tickets set created_at = '2026-05-06 07:08:09.654321+00' where workspace_id = ${owner.workspace.id}`,
    )
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = cursor ? `limit=2&cursor=${encodeURIComponent(cursor)}` : 'limit=2'
      const res = await call('GET', `/api/v1/tickets?${query}`, { token })
      expect(res.status).toBe(200)
      seen.push(...(res.json.data as Summary[]).map((t) => t.id))
      cursor = res.json.next_cursor as string | null
      expect(res.headers.get('link') !== null).toBe(cursor !== null)
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual([...seen].sort().reverse())
    expect(new Set(seen).size).toBe(5)
  })
})
