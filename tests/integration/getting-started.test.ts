import { createHash, randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { inboundEmails, tickets } from '#db/schema.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as homeRoute from '#app/routes/w.$slug._index.tsx'
import {
  addMember,
  createInvitation,
  createMember,
  createTicketFor,
  createUser,
} from '#tests/helpers/factories.ts'
import { callAction, callLoader } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Invitations email the invitee through the job queue.
beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
})

type Agent = Awaited<ReturnType<typeof createMember>>

async function checklistOf(agent: Agent) {
  const page = await callLoader(homeRoute, `/w/${agent.workspace.slug}`, {
    cookie: agent.cookie,
    params: { slug: agent.workspace.slug },
  })
  expect(page.status).toBe(200)
  return page.data.checklist
}

async function receiveInboundEmail(mailboxId: string, workspaceId: string) {
  const raw = Buffer.from(`inbound ${randomUUID()}`)
  await getDb()
    .insert(inboundEmails)
    .values({
      sha256: createHash('sha256').update(raw).digest('hex'),
      contentType: 'multipart/form-data; boundary=x',
      raw,
      size: raw.length,
      workspaceId,
      mailboxId,
      status: 'filed',
    })
}

describe('getting-started checklist', () => {
  it('starts with nothing done and links the public support form', async () => {
    const owner = await createMember('owner')
    const checklist = await checklistOf(owner)
    expect(checklist).toEqual({
      done: { supportForm: false, teammate: false, answered: false, mailbox: false },
      supportFormUrl: expect.stringMatching(new RegExp(`^https?://[^/]+/support/${owner.workspace.slug}$`)),
    })
  })

  it('ticks each item from the data, and disappears once all four are done', async () => {
    const owner = await createMember('owner')
    const ticket = await createTicketFor(owner) // through the web form
    expect((await checklistOf(owner)).done).toEqual({
      supportForm: true,
      teammate: false,
      answered: false,
      mailbox: false,
    })

    await createInvitation(owner)
    expect((await checklistOf(owner)).done.teammate).toBe(true)

    await getDb().update(tickets).set({ firstResponseAt: new Date() }).where(eq(tickets.id, ticket.ticketId))
    expect((await checklistOf(owner)).done.answered).toBe(true)

    await receiveInboundEmail(ticket.mailboxId, owner.workspace.id)
    expect(await checklistOf(owner)).toBeNull()
  })

  it('counts a second member as a teammate, and never another workspace’s activity', async () => {
    const owner = await createMember('owner')
    const other = await createMember('owner')
    const theirs = await createTicketFor(other)
    await getDb().update(tickets).set({ firstResponseAt: new Date() }).where(eq(tickets.id, theirs.ticketId))
    await receiveInboundEmail(theirs.mailboxId, other.workspace.id)
    await createInvitation(other)
    expect((await checklistOf(owner)).done).toEqual({
      supportForm: false,
      teammate: false,
      answered: false,
      mailbox: false,
    })
    const teammate = await createUser()
    await addMember(owner.workspace.id, teammate.id, 'agent')
    expect((await checklistOf(owner)).done.teammate).toBe(true)
  })

  it('hides it for the member who dismissed it only', async () => {
    const owner = await createMember('owner')
    const agent = await createMember('agent', owner.workspace)
    const dismissed = await callAction(
      homeRoute,
      `/w/${owner.workspace.slug}`,
      { intent: 'dismiss-checklist' },
      { cookie: owner.cookie, params: { slug: owner.workspace.slug } },
    )
    expect(dismissed.status).toBe(302)
    expect(dismissed.location).toBe(`/w/${owner.workspace.slug}`)
    expect(await checklistOf(owner)).toBeNull()
    expect(await checklistOf(agent)).not.toBeNull()
  })

  it('refuses an unknown intent and a member of another workspace', async () => {
    const owner = await createMember('owner')
    const outsider = await createMember('owner')
    const unknown = await callAction(
      homeRoute,
      `/w/${owner.workspace.slug}`,
      { intent: 'tick-everything' },
      { cookie: owner.cookie, params: { slug: owner.workspace.slug } },
    )
    expect(unknown.status).toBe(400)
    const foreign = await callAction(
      homeRoute,
      `/w/${owner.workspace.slug}`,
      { intent: 'dismiss-checklist' },
      { cookie: outsider.cookie, params: { slug: owner.workspace.slug } },
    )
    expect(foreign.status).toBe(404)
    expect(await checklistOf(owner)).not.toBeNull()
  })
})
