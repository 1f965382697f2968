import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { attachments, messages, tickets } from '#db/schema.ts'
import { createMember, createTicketFor, type TestMember } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'

// Route params that name a row (a ticket number, a customer, an attachment or a message id) are
// checked before they reach SQL: a number that is not one, out of PostgreSQL's integer range or
// of no ticket, an id that is not a UUID or of another workspace, is a 404 (never a 500 from a
// failed cast or an empty read), through the document, the .data answer made without Remix's
// request handler (app/http/single-fetch-loaders.server.ts) and Remix's own, and the POST routes
// under a ticket. Another workspace's rows answer the same 404, with none of their data.

let lean: Awaited<ReturnType<typeof startTestServer>>
let remix: Awaited<ReturnType<typeof startTestServer>>
let owner: TestMember
let outsider: TestMember
const SECRET = 'Outsider secret subject 7f3a'
const outsiderRows = { number: 0, contactId: '', messageId: '', attachmentId: '' }

beforeAll(async () => {
  lean = await startTestServer({ sockets: false })
  remix = await startTestServer({ sockets: false, leanDataRequests: false })
  owner = await createMember('owner')
  outsider = await createMember('owner')
  await createTicketFor(owner, { subject: 'The owner’s only ticket' })
  // The outsider's third ticket: its number is none of the owner's.
  await createTicketFor(outsider, { subject: 'Outsider one' })
  await createTicketFor(outsider, { subject: 'Outsider two' })
  const secret = await createTicketFor(outsider, { subject: SECRET, body: `${SECRET} body` })
  const [ticket] = await getDb().select().from(tickets).where(eq(tickets.id, secret.ticketId))
  const [message] = await getDb().select().from(messages).where(eq(messages.ticketId, secret.ticketId))
  const [file] = await getDb()
    .insert(attachments)
    .values({
      workspaceId: outsider.workspace.id,
      messageId: message.id,
      filename: 'secret.txt',
      contentType: 'text/plain',
      size: 3,
      sha256: '0'.repeat(64),
    })
    .returning()
  Object.assign(outsiderRows, {
    number: secret.number,
    contactId: ticket.contactId,
    messageId: message.id,
    attachmentId: file.id,
  })
})
afterAll(async () => {
  await lean?.close()
  await remix?.close()
})

async function get(base: string, path: string) {
  const res = await fetch(base + path, { headers: { cookie: owner.cookie }, redirect: 'manual' })
  return { status: res.status, body: await res.text() }
}

/** A form post; `multipart` as the composer sends it (it may carry files). */
async function post(base: string, path: string, fields: Record<string, string>, multipart = false) {
  const form = multipart ? new FormData() : new URLSearchParams()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { cookie: owner.cookie, origin: base },
    body: form,
    redirect: 'manual',
  })
  return { status: res.status, body: await res.text() }
}

const BAD_NUMBERS = ['99999999', 'abc', '0', '-1', '1.5', '1e3', '01', '2147483648', '99999999999999999999']

it('answers a refused draft save with its status over HTTP (400), not 200', async () => {
  // Through the built app: a resource route's data() lost its status under single fetch.
  const draft = `/w/${owner.workspace.slug}/tickets/1/draft`
  const refused = await post(lean.url, draft, { kind: 'reply', body: 'Half a thought' })
  expect(refused.status).toBe(400)
  expect(JSON.parse(refused.body)).toEqual({ error: { generation: ['Reload the page'] } })
  expect(
    (await post(lean.url, draft, { kind: 'reply', body: 'Half a thought', generation: '0' })).status,
  ).toBe(204)
})

describe('route params that reach SQL', () => {
  it('answers 404 for a ticket number that is not one of the workspace’s, page and data alike', async () => {
    const slug = owner.workspace.slug
    for (const number of [...BAD_NUMBERS, String(outsiderRows.number)]) {
      for (const path of [`/w/${slug}/tickets/${number}`, `/w/${slug}/tickets/${number}.data`]) {
        for (const server of [lean, remix]) {
          const answer = await get(server.url, path)
          expect(answer.status, path).toBe(404)
          expect(answer.body, path).not.toContain(SECRET)
        }
      }
      // Similar tickets, and Previous/Next (which never needs the ticket itself to exist).
      expect((await get(lean.url, `/w/${slug}/tickets/${number}/similar`)).status).toBe(404)
      expect((await get(lean.url, `/w/${slug}/tickets/${number}/beside/sideways`)).status).toBe(404)
    }
    // The loader alone, as a revalidation asks for it.
    const only = await get(
      lean.url,
      `/w/${slug}/tickets/99999999.data?_routes=routes%2Fw.%24slug.tickets.%24number`,
    )
    expect(only.status).toBe(404)
  })

  it('answers 404 for another workspace’s ticket at its own address, with none of its data', async () => {
    const path = `/w/${outsider.workspace.slug}/tickets/${outsiderRows.number}`
    for (const server of [lean, remix]) {
      for (const url of [path, `${path}.data`, `${path}/similar`]) {
        const answer = await get(server.url, url)
        expect(answer.status, url).toBe(404)
        expect(answer.body, url).not.toContain(SECRET)
      }
    }
  })

  it('answers 404 for a customer, attachment or message id that is malformed or another workspace’s', async () => {
    const slug = owner.workspace.slug
    const ids = ['abc', '00000000-0000-0000-0000-000000000000', '1'.repeat(40)]
    for (const id of [...ids, outsiderRows.contactId]) {
      for (const path of [`/w/${slug}/customers/${id}`, `/w/${slug}/customers/${id}.data`]) {
        const answer = await get(lean.url, path)
        expect(answer.status, path).toBe(404)
        expect(answer.body, path).not.toContain(SECRET)
      }
    }
    for (const id of [...ids, outsiderRows.attachmentId]) {
      const answer = await get(lean.url, `/w/${slug}/attachments/${id}`)
      expect(answer.status, id).toBe(404)
      expect(answer.body).not.toContain('secret.txt')
    }
    for (const id of [...ids, outsiderRows.messageId]) {
      const answer = await get(lean.url, `/w/${slug}/messages/${id}/email`)
      expect(answer.status, id).toBe(404)
      expect(answer.body).not.toContain(SECRET)
    }
  })

  it('answers 404 to the POST routes under a ticket for a number that is not the workspace’s', async () => {
    const slug = owner.workspace.slug
    for (const number of ['99999999', 'abc', '2147483648', String(outsiderRows.number)]) {
      const ticket = `/w/${slug}/tickets/${number}`
      const answers = [
        await post(lean.url, ticket, { intent: 'reply', kind: 'reply', body: 'Hello' }, true),
        await post(lean.url, `${ticket}/draft`, { kind: 'reply', body: 'A draft' }),
        await post(lean.url, `${ticket}/ai/summary`, {}),
        await post(lean.url, `${ticket}/ai/draft`, {}),
      ]
      for (const answer of answers) {
        expect(answer.status, `${ticket} ${answer.body.slice(0, 80)}`).toBe(404)
        expect(answer.body).not.toContain(SECRET)
      }
    }
    const [untouched] = await getDb()
      .select()
      .from(tickets)
      .where(eq(tickets.workspaceId, owner.workspace.id))
    expect(untouched.subject).toBe('The owner’s only ticket')
  })
})
