import { eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, contacts, tickets } from '#db/schema.ts'
import * as customerRoute from '#app/routes/w.$slug.customers.$id.tsx'
import * as customersRoute from '#app/routes/w.$slug.customers._index.tsx'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { auditFor } from '#tests/helpers/db-reads.ts'
import { callAction, callLoader } from '#tests/helpers/routes.ts'

type Actor = Awaited<ReturnType<typeof createMember>>
type Row = { id: string; name: string; email: string; ticketCount: number }

function listCustomers(actor: Actor, query = '', slug = actor.workspace.slug) {
  return callLoader(customersRoute, `/w/${slug}/customers${query}`, {
    cookie: actor.cookie,
    params: { slug },
  })
}

function search(actor: Actor, q: string) {
  return listCustomers(actor, `?${new URLSearchParams({ q })}`)
}

function loadCustomer(actor: Actor, id: string, slug = actor.workspace.slug) {
  return callLoader(customerRoute, `/w/${slug}/customers/${id}`, {
    cookie: actor.cookie,
    params: { slug, id },
  })
}

function renameCustomer(actor: Actor, id: string, name: string, slug = actor.workspace.slug) {
  return callAction(
    customerRoute,
    `/w/${slug}/customers/${id}`,
    { name },
    { cookie: actor.cookie, params: { slug, id } },
  )
}

async function addContacts(workspaceId: string, people: Array<{ name: string; email: string }>) {
  return getDb()
    .insert(contacts)
    .values(people.map((p) => ({ workspaceId, ...p })))
    .returning({ id: contacts.id })
}

async function contactRow(id: string) {
  const [row] = await getDb()
    .select({ name: contacts.name, email: contacts.email, updatedAt: contacts.updatedAt })
    .from(contacts)
    .where(eq(contacts.id, id))
  return row
}

async function auditCount(workspaceId: string) {
  const rows = await getDb().select().from(auditEvents).where(eq(auditEvents.workspaceId, workspaceId))
  return rows.length
}

const MALFORMED_IDS = ['not-a-uuid', '1', "' or 1=1 --", '00000000-0000-0000-0000-00000000000g']

describe('customers list', () => {
  it('lists contacts newest first with their ticket counts', async () => {
    const member = await createMember('agent')
    await createTicketFor(member, { customerEmail: 'ada@example.net', customerName: 'Ada Lovelace' })
    await createTicketFor(member, { customerEmail: 'ada@example.net', customerName: 'Ada Lovelace' })
    await createTicketFor(member, { customerEmail: 'grace@example.net', customerName: 'Grace Hopper' })
    await addContacts(member.workspace.id, [{ name: '', email: 'quiet@example.net' }])
    const page = await listCustomers(member)
    expect(page.status).toBe(200)
    expect(page.data.customers.map((c: Row) => [c.email, c.ticketCount])).toEqual([
      ['quiet@example.net', 0],
      ['grace@example.net', 1],
      ['ada@example.net', 2],
    ])
    expect(page.data.next).toBeNull()
    expect(page.data.prev).toBeNull()
  })

  it('pages through 120 contacts 50 at a time, forwards and back, without gaps or repeats', async () => {
    const member = await createMember()
    // One statement: every row shares created_at, so the id breaks the ties.
    await addContacts(
      member.workspace.id,
      Array.from({ length: 120 }, (_, i) => ({ name: `Person ${i}`, email: `p${i}@example.net` })),
    )
    const first = await listCustomers(member)
    expect(first.data.customers).toHaveLength(50)
    expect(first.data.prev).toBeNull()
    const second = await listCustomers(member, `?${new URLSearchParams({ after: first.data.next })}`)
    expect(second.data.customers).toHaveLength(50)
    const third = await listCustomers(member, `?${new URLSearchParams({ after: second.data.next })}`)
    expect(third.data.customers).toHaveLength(20)
    expect(third.data.next).toBeNull()
    const seen = [...first.data.customers, ...second.data.customers, ...third.data.customers].map(
      (c: Row) => c.id,
    )
    expect(new Set(seen).size).toBe(120)

    const back = await listCustomers(member, `?${new URLSearchParams({ before: second.data.prev })}`)
    expect(back.data.customers.map((c: Row) => c.id)).toEqual(first.data.customers.map((c: Row) => c.id))
    expect(back.data.prev).toBeNull()
    expect(back.data.next).toBe(first.data.next)
  })

  it.each([
    'garbage',
    'x|y',
    "2026-01-01 00:00:00+00|' or 1=1",
    '9999-99-99 99:99:99+00|' + '0'.repeat(36),
    // Well-formed but impossible timestamps: PostgreSQL refuses them, so they must never reach a cast.
    '2026-13-45 25:61:61+00|00000000-0000-4000-8000-000000000000',
    '0000-01-01 00:00:00+00|00000000-0000-4000-8000-000000000000',
    '2026-01-01 00:00:00+99|00000000-0000-4000-8000-000000000000',
    // Well-formed, but a sort key without the name of its list (as cursors were before).
    Buffer.from(
      JSON.stringify(['2026-01-01T00:00:00.000000Z', '00000000-0000-4000-8000-000000000000']),
    ).toString('base64url'),
  ])(
    'answers a cursor that is not one of its pages (%s) with a 400 that shows the first page and says why',
    async (cursor) => {
      const member = await createMember()
      await addContacts(member.workspace.id, [{ name: 'Only', email: 'only@example.net' }])
      const page = await listCustomers(member, `?${new URLSearchParams({ after: cursor, before: cursor })}`)
      expect(page.status).toBe(400)
      expect(page.data.cursorRefused).toBe(true)
      expect(page.data.customers.map((c: Row) => c.name)).toEqual(['Only'])
      expect(page.data.prev).toBeNull()
    },
  )

  it("refuses another search's cursor", async () => {
    const member = await createMember()
    await addContacts(
      member.workspace.id,
      Array.from({ length: 51 }, (_, i) => ({ name: `Ann ${i}`, email: `ann-${i}@example.net` })),
    )
    const all = await listCustomers(member)
    const inSearch = await listCustomers(
      member,
      `?${new URLSearchParams({ q: 'ann', after: all.data.next })}`,
    )
    expect(inSearch.status).toBe(400)
    expect(inSearch.data.cursorRefused).toBe(true)
    const own = await listCustomers(member, `?${new URLSearchParams({ after: all.data.next })}`)
    expect(own.status).toBe(200)
    expect(own.data.cursorRefused).toBe(false)
    expect(own.data.customers).toHaveLength(1)
  })

  it('finds contacts by part of their name or email, ignoring case, and pages within the search', async () => {
    const member = await createMember()
    await addContacts(member.workspace.id, [
      { name: 'Ada Lovelace', email: 'ada@analytical.example' },
      { name: 'Grace Hopper', email: 'grace@navy.example' },
      { name: 'Alan Turing', email: 'alan@bletchley.example' },
    ])
    expect((await search(member, 'LOVE')).data.customers.map((c: Row) => c.name)).toEqual(['Ada Lovelace'])
    expect((await search(member, 'navy.ex')).data.customers.map((c: Row) => c.name)).toEqual(['Grace Hopper'])
    expect((await search(member, '  alan  ')).data.q).toBe('alan')
    expect((await search(member, 'nobody')).data.customers).toEqual([])
  })

  describe('with hostile input', () => {
    async function hostileWorkspace() {
      const member = await createMember()
      await addContacts(member.workspace.id, [
        { name: '100% Cotton', email: 'cotton@example.net' },
        { name: 'Fifty_Fifty', email: 'fifty@example.net' },
        { name: 'Back\\slash', email: 'slash@example.net' },
        { name: "O'Brien", email: 'obrien@example.net' },
        { name: 'Plain Person', email: 'plain@example.net' },
      ])
      return member
    }

    it.each([
      ['%', ['100% Cotton']],
      ['_', ['Fifty_Fifty']],
      ['\\', ['Back\\slash']],
      ["'", ["O'Brien"]],
      ['%%', []],
      ['\\%', []],
      ['_ifty', []],
      ['y_F', ['Fifty_Fifty']],
    ])('matches %j literally', async (q, names) => {
      const member = await hostileWorkspace()
      const page = await search(member, q)
      expect(page.status).toBe(200)
      expect(page.data.customers.map((c: Row) => c.name)).toEqual(names)
    })

    it.each([
      ['1000 characters', 'a%_\\'.repeat(250)],
      ['1000 characters of SQL', "'; drop table contacts; --".padEnd(1000, 'x')],
      ['full-text syntax', "a & b | !c :* ''"],
      ['a NUL-free control mess', '\t\r\u200b\u{1F600}'],
    ])('answers %s with an empty result, never a 500', async (_, q) => {
      const member = await hostileWorkspace()
      const page = await search(member, q)
      expect(page.status).toBe(200)
      expect(page.data.customers).toEqual([])
      expect(page.data.error).toBeNull()
    })

    it('refuses a query over 1000 characters with a message instead of searching', async () => {
      const member = await hostileWorkspace()
      const page = await search(member, 'x'.repeat(1001))
      expect(page.status).toBe(200)
      expect(page.data.customers).toEqual([])
      expect(page.data.error).toBe('Search for at most 1000 characters.')
    })
  })
})

describe('a customer page', () => {
  it('shows the contact and their tickets, latest activity first, linking by number', async () => {
    const member = await createMember('agent')
    const older = await createTicketFor(member, {
      customerEmail: 'ada@example.net',
      customerName: 'Ada Lovelace',
      subject: 'First',
    })
    const newer = await createTicketFor(member, {
      customerEmail: 'ada@example.net',
      customerName: 'Ada Lovelace',
      subject: 'Second',
    })
    await createTicketFor(member, { customerEmail: 'someone-else@example.net', subject: 'Not hers' })
    const [ticket] = await getDb()
      .select({ contactId: tickets.contactId })
      .from(tickets)
      .where(eq(tickets.id, older.ticketId))
    const page = await loadCustomer(member, ticket.contactId)
    expect(page.status).toBe(200)
    expect(page.data.contact).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.net' })
    // The inbox's rows (same component), every status, newest activity first.
    expect(page.data.tickets.rows).toMatchObject([
      {
        id: newer.ticketId,
        number: newer.number,
        subject: 'Second',
        status: 'open',
        contactEmail: 'ada@example.net',
      },
      {
        id: older.ticketId,
        number: older.number,
        subject: 'First',
        status: 'open',
        contactEmail: 'ada@example.net',
      },
    ])
    expect(page.data.contact.ticketCount).toBe(2)
  })

  it.each(MALFORMED_IDS)('answers 404 for the malformed id %j', async (id) => {
    const member = await createMember()
    expect((await loadCustomer(member, id)).status).toBe(404)
    const before = await auditCount(member.workspace.id)
    expect((await renameCustomer(member, id, 'Someone')).status).toBe(404)
    expect(await auditCount(member.workspace.id)).toBe(before)
  })

  it('answers 404 for an id that does not exist', async () => {
    const member = await createMember()
    expect((await loadCustomer(member, '00000000-0000-4000-8000-000000000000')).status).toBe(404)
  })
})

describe('renaming a customer', () => {
  it('lets any member, even an agent, rename a contact, records it, and makes the new name searchable', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent, { customerEmail: 'ada@example.net', customerName: 'Ada' })
    const [{ contactId }] = await getDb()
      .select({ contactId: tickets.contactId })
      .from(tickets)
      .where(eq(tickets.id, ticket.ticketId))
    const result = await renameCustomer(agent, contactId, '  Augusta Ada King  ')
    expect(result.status).toBe(302)
    expect(result.location).toBe(`/w/${agent.workspace.slug}/customers/${contactId}`)
    expect((await contactRow(contactId)).name).toBe('Augusta Ada King')
    expect(await auditFor(agent.workspace.id, 'contact.renamed')).toEqual([
      { actorUserId: agent.user.id, targetId: contactId, data: { before: 'Ada', after: 'Augusta Ada King' } },
    ])
    const [match] = await getDb()
      .select({ found: sql<boolean>`${tickets.search} @@ to_tsquery('simple', 'augusta')` })
      .from(tickets)
      .where(eq(tickets.id, ticket.ticketId))
    expect(match.found).toBe(true)
  })

  it('records nothing when the name does not change', async () => {
    const member = await createMember()
    const [{ id }] = await addContacts(member.workspace.id, [{ name: 'Same', email: 'same@example.net' }])
    const before = await auditCount(member.workspace.id)
    expect((await renameCustomer(member, id, 'Same')).status).toBe(302)
    expect(await auditCount(member.workspace.id)).toBe(before)
  })

  it.each([
    ['an empty name', '   ', 'Name is required'],
    ['a name over 100 characters', 'n'.repeat(101), 'Use at most 100 characters'],
  ])('rejects %s with a field error and writes nothing', async (_, name, message) => {
    const member = await createMember('agent')
    const [{ id }] = await addContacts(member.workspace.id, [{ name: 'Before', email: 'b@example.net' }])
    const row = await contactRow(id)
    const audits = await auditCount(member.workspace.id)
    const result = await renameCustomer(member, id, name)
    expect(result.status).toBe(400)
    expect(result.data.result.error.name).toEqual([message])
    expect(await contactRow(id)).toEqual(row)
    expect(await auditCount(member.workspace.id)).toBe(audits)
  })
})

describe('customers tenancy', () => {
  it('answers 404 to a member of another workspace on the list, the page and the rename', async () => {
    const a = await createMember('owner')
    const b = await createMember('owner')
    const [{ id }] = await addContacts(b.workspace.id, [{ name: 'Theirs', email: 't@example.net' }])
    expect((await listCustomers(a, '', b.workspace.slug)).status).toBe(404)
    expect((await loadCustomer(a, id, b.workspace.slug)).status).toBe(404)
    expect((await renameCustomer(a, id, 'Hijacked', b.workspace.slug)).status).toBe(404)
    expect((await contactRow(id)).name).toBe('Theirs')
  })

  it("answers 404 to another workspace's contact id in one's own URLs, changing nothing", async () => {
    const a = await createMember('owner')
    const b = await createMember('owner')
    const [{ id }] = await addContacts(b.workspace.id, [{ name: 'Theirs', email: 't@example.net' }])
    const row = await contactRow(id)
    const auditsA = await auditCount(a.workspace.id)
    const auditsB = await auditCount(b.workspace.id)
    expect((await loadCustomer(a, id)).status).toBe(404)
    expect((await renameCustomer(a, id, 'Hijacked')).status).toBe(404)
    expect(await contactRow(id)).toEqual(row)
    expect(await auditCount(a.workspace.id)).toBe(auditsA)
    expect(await auditCount(b.workspace.id)).toBe(auditsB)
  })

  it("never lists or finds another workspace's contacts", async () => {
    const a = await createMember('owner')
    const b = await createMember('owner')
    await addContacts(b.workspace.id, [{ name: 'Secret Sam', email: 'sam@example.net' }])
    expect((await listCustomers(a)).data.customers).toEqual([])
    expect((await search(a, 'sam')).data.customers).toEqual([])
  })
})
