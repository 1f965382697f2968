import { and, asc, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, cannedResponses } from '#db/schema.ts'
import * as cannedRoute from '#app/routes/w.$slug.settings.canned-responses.tsx'
import { createMember, team } from '#tests/helpers/factories.ts'
import { auditFor } from '#tests/helpers/db-reads.ts'
import { callAction, callLoader } from '#tests/helpers/routes.ts'

type Actor = Awaited<ReturnType<typeof createMember>>

function postCanned(actor: Actor, form: Record<string, string>, slug = actor.workspace.slug) {
  // Posted as the confirmation step does (tests/integration/confirmations.test.ts covers the step itself).
  return callAction(
    cannedRoute,
    `/w/${slug}/settings/canned-responses`,
    { ...form, confirmed: '1' },
    {
      cookie: actor.cookie,
      params: { slug },
    },
  )
}

function loadCanned(actor: Actor, slug = actor.workspace.slug) {
  return callLoader(cannedRoute, `/w/${slug}/settings/canned-responses`, {
    cookie: actor.cookie,
    params: { slug },
  })
}

async function snapshot(workspaceId: string) {
  const rows = await getDb()
    .select()
    .from(cannedResponses)
    .where(eq(cannedResponses.workspaceId, workspaceId))
    .orderBy(asc(cannedResponses.id))
  const audit = await getDb()
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(eq(auditEvents.workspaceId, workspaceId))
  return { rows, audit }
}

/** A canned response created through the route, as an owner would. */
async function createCanned(actor: Actor, title = 'Refund sent', body = 'Hi {{customer.name}}, done.') {
  const result = await postCanned(actor, { intent: 'create', title, body })
  expect(result.status).toBe(200)
  const [row] = await getDb()
    .select()
    .from(cannedResponses)
    .where(and(eq(cannedResponses.workspaceId, actor.workspace.id), eq(cannedResponses.title, title)))
  return row
}

describe('canned responses settings', () => {
  it('lists them by title to every member, and lets only owners and admins manage them', async () => {
    const { owner, agent } = await team()
    await createCanned(owner, 'Zebra', 'z')
    await createCanned(owner, 'Apple', 'a')
    const asAgent = await loadCanned(agent)
    expect(asAgent.status).toBe(200)
    expect(asAgent.data.canManage).toBe(false)
    expect(asAgent.data.cannedResponses).toEqual([
      { id: expect.any(String), title: 'Apple', body: 'a' },
      { id: expect.any(String), title: 'Zebra', body: 'z' },
    ])
    expect((await loadCanned(owner)).data.canManage).toBe(true)
  })

  it.each(['owner', 'admin'] as const)('lets an %s create one, trimmed, and records it', async (role) => {
    const t = await team()
    const actor = t[role]
    const result = await postCanned(actor, {
      intent: 'create',
      title: '  Shipping delay  ',
      body: 'Hi {{customer.name}},\n\nYour order #{{ticket.number}} is late.\n\n{{agent.name}}\n',
    })
    expect(result.status).toBe(200)
    expect(result.data.notice).toBe('Canned response “Shipping delay” created.')
    const { rows } = await snapshot(t.workspace.id)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      title: 'Shipping delay',
      body: 'Hi {{customer.name}},\n\nYour order #{{ticket.number}} is late.\n\n{{agent.name}}',
    })
    expect(await auditFor(t.workspace.id, 'canned-response.created')).toEqual([
      { actorUserId: actor.user.id, targetId: rows[0].id, data: { title: 'Shipping delay' } },
    ])
  })

  it('edits one and records before and after', async () => {
    const { owner, admin, workspace } = await team()
    const row = await createCanned(owner)
    const result = await postCanned(admin, {
      intent: 'update',
      cannedResponseId: row.id,
      title: 'Refund issued',
      body: 'Your refund is on its way.',
    })
    expect(result.status).toBe(200)
    expect(result.data.formId).toBe(`canned-${row.id}`)
    const [after] = await getDb().select().from(cannedResponses).where(eq(cannedResponses.id, row.id))
    expect(after).toMatchObject({ title: 'Refund issued', body: 'Your refund is on its way.' })
    expect(await auditFor(workspace.id, 'canned-response.updated')).toEqual([
      {
        actorUserId: admin.user.id,
        targetId: row.id,
        data: {
          before: { title: 'Refund sent', body: 'Hi {{customer.name}}, done.' },
          after: { title: 'Refund issued', body: 'Your refund is on its way.' },
        },
      },
    ])
  })

  it('keeps a teammate’s change to the field this admin did not edit since the form was drawn', async () => {
    const { owner, admin, workspace } = await team()
    const row = await createCanned(owner)
    const base = JSON.stringify({ title: row.title, body: row.body })
    // The owner fixes the text; the admin, whose page still shows the old text, renames it.
    await postCanned(owner, {
      intent: 'update',
      cannedResponseId: row.id,
      base,
      title: row.title,
      body: 'Hi {{customer.name}}, your refund is done.',
    })
    const renamed = await postCanned(admin, {
      intent: 'update',
      cannedResponseId: row.id,
      base,
      title: 'Refund done',
      body: row.body,
    })
    expect(renamed.status).toBe(200)
    expect(renamed.data.notice).toBe('Canned response “Refund done” saved.')
    const [after] = await getDb().select().from(cannedResponses).where(eq(cannedResponses.id, row.id))
    expect(after).toMatchObject({ title: 'Refund done', body: 'Hi {{customer.name}}, your refund is done.' })
    expect((await auditFor(workspace.id, 'canned-response.updated')).at(-1)).toMatchObject({
      actorUserId: admin.user.id,
      data: {
        before: { title: 'Refund sent', body: 'Hi {{customer.name}}, your refund is done.' },
        after: { title: 'Refund done', body: 'Hi {{customer.name}}, your refund is done.' },
      },
    })
    // The same field edited by both: not saved over the teammate's unseen (409), then replaced
    // once the form showed it (settings-teammate-conflicts.test.ts). An unreadable base: both as posted.
    await postCanned(owner, {
      intent: 'update',
      cannedResponseId: row.id,
      base,
      title: 'One',
      body: row.body,
    })
    const two = { intent: 'update', cannedResponseId: row.id, base, title: 'Two', body: row.body }
    expect((await postCanned(admin, two)).status).toBe(409)
    await postCanned(admin, { ...two, replace: 'title' })
    const [twice] = await getDb().select().from(cannedResponses).where(eq(cannedResponses.id, row.id))
    expect(twice).toMatchObject({ title: 'Two', body: 'Hi {{customer.name}}, your refund is done.' })
    await postCanned(admin, {
      intent: 'update',
      cannedResponseId: row.id,
      base: 'not json',
      title: 'Two',
      body: row.body,
    })
    const [plain] = await getDb().select().from(cannedResponses).where(eq(cannedResponses.id, row.id))
    expect(plain).toMatchObject({ title: 'Two', body: row.body })
  })

  it('deletes one and records what it said', async () => {
    const { owner, workspace } = await team()
    const row = await createCanned(owner)
    const result = await postCanned(owner, { intent: 'delete', cannedResponseId: row.id })
    expect(result.status).toBe(200)
    expect(result.data.notice).toBe('Canned response deleted.')
    expect((await snapshot(workspace.id)).rows).toEqual([])
    expect(await auditFor(workspace.id, 'canned-response.deleted')).toEqual([
      {
        actorUserId: owner.user.id,
        targetId: row.id,
        data: { title: 'Refund sent', body: 'Hi {{customer.name}}, done.' },
      },
    ])
    // Deleting it again: it is gone.
    expect((await postCanned(owner, { intent: 'delete', cannedResponseId: row.id })).status).toBe(404)
  })

  it('accepts a title of exactly 100 characters and a body of exactly 20,000', async () => {
    const { owner, workspace } = await team()
    const result = await postCanned(owner, {
      intent: 'create',
      title: 't'.repeat(100),
      body: 'b'.repeat(20_000),
    })
    expect(result.status).toBe(200)
    expect((await snapshot(workspace.id)).rows[0].body).toHaveLength(20_000)
  })

  describe('bad input', () => {
    it.each([
      ['an empty title', { title: '   ' }, 'title', 'Title is required'],
      ['a title over 100 characters', { title: 't'.repeat(101) }, 'title', 'Use at most 100 characters'],
      ['an empty body', { body: '' }, 'body', 'Write the response first'],
      [
        'a body over 20,000 characters',
        { body: 'b'.repeat(20_001) },
        'body',
        'Use at most 20,000 characters',
      ],
    ])(
      'rejects %s on create with a field error, keeping what was typed, writing nothing',
      async (_, form, field, message) => {
        const { owner, workspace } = await team()
        const before = await snapshot(workspace.id)
        const input = { intent: 'create', title: 'Hello', body: 'Hi there', ...form }
        const result = await postCanned(owner, input)
        expect(result.status).toBe(400)
        expect(result.data.result.error[field]).toEqual([message])
        expect(result.data.formId).toBe('new-canned-response')
        expect(result.data.result.initialValue).toMatchObject({ intent: 'create' })
        expect(await snapshot(workspace.id)).toEqual(before)
      },
    )

    it.each([
      ['an empty title', { title: '' }, 'title'],
      ['a body over 20,000 characters', { body: 'b'.repeat(20_001) }, 'body'],
      ['a malformed id', { cannedResponseId: 'abc' }, 'cannedResponseId'],
    ])('rejects %s on edit and writes nothing', async (_, form, field) => {
      const { owner, workspace } = await team()
      const row = await createCanned(owner)
      const before = await snapshot(workspace.id)
      const result = await postCanned(owner, {
        intent: 'update',
        cannedResponseId: row.id,
        title: 'New',
        body: 'New body',
        ...form,
      })
      expect(result.status).toBe(400)
      expect(result.data.result.error[field]).toBeDefined()
      expect(await snapshot(workspace.id)).toEqual(before)
    })

    it('refuses unknown {{…}} placeholders, naming them and the valid ones, on create and on edit', async () => {
      const { owner, workspace } = await team()
      const row = await createCanned(owner, 'Known', 'Hi {{ Customer.Name }}, ticket #{{ticket.number}}.')
      const before = await snapshot(workspace.id)
      const body = 'Hi {{bogus.placeholder}} and {{customer.phone}}, {{bogus.placeholder}} {{ }}'
      const created = await postCanned(owner, { intent: 'create', title: 'Hello', body })
      expect(created.status).toBe(400)
      expect(created.data.result.error.body).toEqual([
        'Unknown placeholders {{bogus.placeholder}}, {{customer.phone}}, {{ }}: the customer would see them as written. Use {{customer.name}}, {{customer.email}}, {{agent.name}}, {{ticket.number}} or {{ticket.subject}}.',
      ])
      expect(created.data.result.initialValue).toMatchObject({ title: 'Hello', body })
      const edited = await postCanned(owner, {
        intent: 'update',
        cannedResponseId: row.id,
        title: 'Known',
        body: 'Dear {{customer.firstname}}',
      })
      expect(edited.status).toBe(400)
      expect(edited.data.result.error.body).toEqual([
        'Unknown placeholder {{customer.firstname}}: the customer would see it as written. Use {{customer.name}}, {{customer.email}}, {{agent.name}}, {{ticket.number}} or {{ticket.subject}}.',
      ])
      expect(await snapshot(workspace.id)).toEqual(before)
    })

    it('refuses a second canned response with the same title in any case, on create and on edit', async () => {
      const { owner, workspace } = await team()
      await createCanned(owner, 'Refund sent')
      const other = await createCanned(owner, 'Other')
      const before = await snapshot(workspace.id)
      const created = await postCanned(owner, { intent: 'create', title: 'REFUND sent', body: 'Again' })
      expect(created.status).toBe(400)
      expect(created.data.result.error).toEqual({
        title: ['Another canned response is already titled “REFUND sent”. Choose another title.'],
      })
      expect(created.data.result.initialValue).toMatchObject({ title: 'REFUND sent', body: 'Again' })
      const edited = await postCanned(owner, {
        intent: 'update',
        cannedResponseId: other.id,
        title: 'refund sent',
        body: 'x',
      })
      expect(edited.status).toBe(400)
      expect(edited.data.result.error.title).toBeDefined()
      expect(await snapshot(workspace.id)).toEqual(before)
      // Its own title, recased, is fine; another workspace may use the same title.
      const recased = { intent: 'update', cannedResponseId: other.id, title: 'OTHER', body: 'x' }
      expect((await postCanned(owner, recased)).status).toBe(200)
      const stranger = await createMember('owner')
      await createCanned(stranger, 'Refund sent')
      // Simultaneous posts make one.
      const results = await Promise.all(
        Array.from({ length: 4 }, () => postCanned(owner, { intent: 'create', title: 'Race', body: 'r' })),
      )
      expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400])
    })

    it('rejects an unknown intent', async () => {
      const { owner, workspace } = await team()
      const before = await snapshot(workspace.id)
      const result = await postCanned(owner, { intent: 'truncate' })
      expect(result.status).toBe(400)
      expect(await snapshot(workspace.id)).toEqual(before)
    })
  })

  describe('an agent', () => {
    it.each([
      ['create', () => ({ intent: 'create', title: 'Mine', body: 'Mine' })],
      ['edit', (id: string) => ({ intent: 'update', cannedResponseId: id, title: 'X', body: 'Y' })],
      ['delete', (id: string) => ({ intent: 'delete', cannedResponseId: id })],
    ])('is forbidden to %s, and nothing is written', async (_, form) => {
      const { owner, agent, workspace } = await team()
      const row = await createCanned(owner)
      const before = await snapshot(workspace.id)
      const result = await postCanned(agent, form(row.id))
      expect(result.status).toBe(403)
      expect(await snapshot(workspace.id)).toEqual(before)
    })
  })

  describe('tenancy', () => {
    it('answers 404 to a member of another workspace on the page and its actions', async () => {
      const a = await createMember('owner')
      const b = await createMember('owner')
      const bRow = await createCanned(b)
      expect((await loadCanned(a, b.workspace.slug)).status).toBe(404)
      const before = await snapshot(b.workspace.id)
      const forms: Array<Record<string, string>> = [
        { intent: 'create', title: 'x', body: 'y' },
        { intent: 'delete', cannedResponseId: bRow.id },
      ]
      for (const form of forms) {
        expect((await postCanned(a, form, b.workspace.slug)).status).toBe(404)
      }
      expect(await snapshot(b.workspace.id)).toEqual(before)
    })

    it.each([
      [
        'edit',
        (id: string) => ({ intent: 'update', cannedResponseId: id, title: 'Hijacked', body: 'Hijacked' }),
      ],
      ['delete', (id: string) => ({ intent: 'delete', cannedResponseId: id })],
    ])(
      "answers 404 to %s another workspace's canned response through one's own, changing nothing",
      async (_, form) => {
        const a = await createMember('owner')
        const b = await createMember('owner')
        await createCanned(a, 'Ours')
        const bRow = await createCanned(b, 'Theirs')
        const beforeA = await snapshot(a.workspace.id)
        const beforeB = await snapshot(b.workspace.id)
        const result = await postCanned(a, form(bRow.id))
        expect(result.status).toBe(404)
        expect(await snapshot(a.workspace.id)).toEqual(beforeA)
        expect(await snapshot(b.workspace.id)).toEqual(beforeB)
        expect((await loadCanned(a)).data.cannedResponses.map((c: { title: string }) => c.title)).toEqual([
          'Ours',
        ])
      },
    )
  })
})
