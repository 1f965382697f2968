import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { mailboxes, tickets } from '#db/schema.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { apiClient, apiTokenFor } from '#tests/helpers/api.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

/**
 * POST /api/v1/tickets answers from what its transaction wrote (no read-back) and picks the
 * default mailbox inside that transaction: the answer must equal what GET returns afterwards,
 * and the mailbox rules (explicit, unknown, none active) must hold.
 */
let server: Awaited<ReturnType<typeof startTestServer>>
let call: ReturnType<typeof apiClient>

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
  server = await startTestServer({ sockets: false })
  call = apiClient(server.url)
})
afterAll(async () => {
  await server.close()
  await stopQueue()
})

const mailboxesOf = (workspaceId: string) =>
  getDb()
    .select({ id: mailboxes.id, name: mailboxes.name })
    .from(mailboxes)
    .where(eq(mailboxes.workspaceId, workspaceId))

it('answers with the same ticket a GET returns, for a new and for a known customer', async () => {
  const m = await createMember()
  const { token } = await apiTokenFor(m)
  const [mailbox] = await mailboxesOf(m.workspace.id)
  const first = await call('POST', '/api/v1/tickets', {
    token,
    body: {
      subject: 'Crushed box',
      body: 'It arrived crushed.',
      customer: { email: 'Ann@Example.net', name: 'Ann' },
    },
  })
  expect(first.status, first.text).toBe(201)
  expect(first.json).toMatchObject({
    status: 'open',
    priority: 'normal',
    channel: 'api',
    mailbox: { id: mailbox!.id, name: mailbox!.name },
    contact: { name: 'Ann', email: 'Ann@Example.net' },
    assignee: null,
    tags: [],
    first_response_at: null,
    resolved_at: null,
  })
  expect((await call('GET', `/api/v1/tickets/${first.json.number}`, { token })).json).toEqual(first.json)

  // A known contact (matched case-insensitively) keeps its stored email and name.
  const second = await call('POST', '/api/v1/tickets', {
    token,
    body: {
      subject: 'And the lid',
      body: 'The lid is cracked too.',
      customer: { email: 'ann@example.net', name: 'Someone else' },
      mailbox_id: mailbox!.id,
    },
  })
  expect(second.status, second.text).toBe(201)
  expect(second.json.contact).toEqual({ id: first.json.contact.id, name: 'Ann', email: 'Ann@Example.net' })
  expect((await call('GET', `/api/v1/tickets/${second.json.number}`, { token })).json).toEqual(second.json)
})

it('refuses an unknown mailbox_id, and a workspace without an active mailbox, writing nothing', async () => {
  const m = await createMember()
  const { token } = await apiTokenFor(m)
  const body = { subject: 'Hello', body: 'Hi.', customer: { email: 'bo@example.net' } }
  const unknown = await call('POST', '/api/v1/tickets', {
    token,
    body: { ...body, mailbox_id: '0190f2a0-0000-7000-8000-000000000000' },
  })
  expect(unknown.status, unknown.text).toBe(422)
  expect(unknown.json.errors).toEqual([{ field: 'mailbox_id', message: 'Unknown or archived mailbox' }])

  await getDb()
    .update(mailboxes)
    .set({ archivedAt: new Date() })
    .where(eq(mailboxes.workspaceId, m.workspace.id))
  const none = await call('POST', '/api/v1/tickets', { token, body })
  expect(none.status, none.text).toBe(422)
  expect(none.json.detail).toBe('The workspace has no active mailbox.')
  expect(
    await getDb().select({ id: tickets.id }).from(tickets).where(eq(tickets.workspaceId, m.workspace.id)),
  ).toEqual([])
})
