import { count, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { attachments, auditEvents, contacts, emails, mailboxes, messages, tickets } from '#db/schema.ts'
import * as newTicketRoute from '#app/routes/w.$slug.tickets.new.tsx'
import { createMember } from '#tests/helpers/factories.ts'
import {
  callAction,
  callLoader,
  testContext,
  type RealtimeCalls,
  type RouteResult,
} from '#tests/helpers/routes.ts'

type Actor = Awaited<ReturnType<typeof createMember>>

async function firstMailbox(workspaceId: string) {
  const [row] = await getDb()
    .select({ id: mailboxes.id })
    .from(mailboxes)
    .where(eq(mailboxes.workspaceId, workspaceId))
  return row.id
}

async function validForm(actor: Actor, overrides: Record<string, string> = {}) {
  return {
    customerEmail: 'caller@example.net',
    customerName: 'Pat Caller',
    mailboxId: await firstMailbox(actor.workspace.id),
    subject: 'Called about a missing parcel',
    body: 'Pat called: the parcel shows delivered but never arrived.',
    ...overrides,
  }
}

function post(
  actor: Actor,
  form: Record<string, string>,
  calls?: RealtimeCalls,
  slug = actor.workspace.slug,
) {
  return callAction(newTicketRoute, `/w/${slug}/tickets/new`, form, {
    cookie: actor.cookie,
    params: { slug },
    context: testContext(calls),
  })
}

/** A multipart post with files, as the browser sends the form (encType multipart/form-data). */
async function postMultipart(
  actor: Actor,
  fields: Record<string, string>,
  files: File[],
): Promise<RouteResult> {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  for (const f of files) form.append('files', f)
  const slug = actor.workspace.slug
  const request = new Request(`http://localhost:3000/w/${slug}/tickets/new`, {
    method: 'POST',
    body: form,
    headers: { cookie: actor.cookie },
  })
  const value = await newTicketRoute.action({ request, params: { slug }, context: testContext() })
  if (value instanceof Response) {
    return {
      status: value.status,
      headers: value.headers,
      data: null,
      location: value.headers.get('location'),
    }
  }
  const d = value as unknown as { data: unknown; init?: ResponseInit }
  return { status: d.init?.status ?? 200, headers: new Headers(), data: d.data, location: null }
}

/** Everything creating a ticket writes, counted per workspace. */
async function written(workspaceId: string) {
  const db = getDb()
  const countOf = async (table: typeof tickets | typeof contacts | typeof messages | typeof attachments) => {
    const [row] = await db.select({ n: count() }).from(table).where(eq(table.workspaceId, workspaceId))
    return row.n
  }
  const [audit] = await db
    .select({ n: count() })
    .from(auditEvents)
    .where(eq(auditEvents.workspaceId, workspaceId))
  return {
    tickets: await countOf(tickets),
    contacts: await countOf(contacts),
    messages: await countOf(messages),
    attachments: await countOf(attachments),
    audit: audit.n,
  }
}

describe('new ticket on a customer’s behalf', () => {
  it('lists the active mailboxes, the first being the default', async () => {
    const member = await createMember('agent')
    const slug = member.workspace.slug
    const result = await callLoader(newTicketRoute, `/w/${slug}/tickets/new`, {
      cookie: member.cookie,
      params: { slug },
    })
    expect(result.status).toBe(200)
    expect(result.data.mailboxes).toEqual([{ id: await firstMailbox(member.workspace.id), name: 'Support' }])
  })

  it('opens a phone ticket with the customer’s first message, sends no email and publishes the event', async () => {
    const member = await createMember('agent')
    const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
    const result = await post(member, await validForm(member), calls)
    expect(result.status).toBe(302)
    const [ticket] = await getDb().select().from(tickets).where(eq(tickets.workspaceId, member.workspace.id))
    expect(result.location).toBe(`/w/${member.workspace.slug}/tickets/${ticket.number}`)
    expect(ticket).toMatchObject({
      channel: 'phone',
      subject: 'Called about a missing parcel',
      status: 'open',
    })
    const [contact] = await getDb().select().from(contacts).where(eq(contacts.id, ticket.contactId))
    expect(contact).toMatchObject({ email: 'caller@example.net', name: 'Pat Caller' })
    const thread = await getDb().select().from(messages).where(eq(messages.ticketId, ticket.id))
    expect(thread).toHaveLength(1)
    expect(thread[0]).toMatchObject({ kind: 'reply', authorContactId: contact.id, authorUserId: null })
    expect(await getDb().select().from(emails).where(eq(emails.ticketId, ticket.id))).toEqual([])
    const [audit] = await getDb().select().from(auditEvents).where(eq(auditEvents.targetId, ticket.id))
    expect(audit).toMatchObject({ action: 'ticket.created', actorUserId: member.user.id })
    expect(calls.published).toEqual([
      expect.objectContaining({ type: 'ticket.created', ticketId: ticket.id }),
    ])
  })

  it('stores attachments sent with the multipart form', async () => {
    const member = await createMember()
    const files = [new File(['order #5521, photo of the box'], 'notes.txt', { type: 'text/plain' })]
    const result = await postMultipart(member, await validForm(member), files)
    expect(result.status).toBe(302)
    const [stored] = await getDb()
      .select()
      .from(attachments)
      .where(eq(attachments.workspaceId, member.workspace.id))
    expect(stored).toMatchObject({ filename: 'notes.txt', contentType: 'text/plain', size: 29 })
  })

  it('refuses an executable attachment and writes nothing', async () => {
    const member = await createMember()
    const before = await written(member.workspace.id)
    const files = [new File(['MZ'], 'setup.exe', { type: 'application/octet-stream' })]
    const result = await postMultipart(member, await validForm(member), files)
    expect(result.status).toBe(400)
    expect((result.data as { result: { error: Record<string, string[]> } }).result.error.files).toEqual([
      'setup.exe: executable files are not allowed',
    ])
    expect(await written(member.workspace.id)).toEqual(before)
  })

  it.each([
    ['a bad email', { customerEmail: 'not-an-email' }, 'customerEmail', 'Enter a valid email address'],
    ['no email', { customerEmail: '' }, 'customerEmail', 'Email is required'],
    ['an empty subject', { subject: '   ' }, 'subject', 'Subject is required'],
    ['a 251-character subject', { subject: 's'.repeat(251) }, 'subject', 'Use at most 250 characters'],
    ['an empty message', { body: '' }, 'body', 'Write a message first'],
    [
      'a message over 100 KB',
      { body: 'b'.repeat(100_001) },
      'body',
      'The message is too long (100 KB at most)',
    ],
    ['a 101-character name', { customerName: 'n'.repeat(101) }, 'customerName', 'Use at most 100 characters'],
    ['a mailbox id that is not a uuid', { mailboxId: 'support' }, 'mailboxId', 'Choose a mailbox'],
  ] as const)('answers %s with a field error and writes nothing', async (_, overrides, field, message) => {
    const member = await createMember()
    const before = await written(member.workspace.id)
    const form = { ...(await validForm(member)), ...overrides }
    const result = await post(member, form)
    expect(result.status).toBe(400)
    expect(result.data.result.error[field]).toEqual([message])
    // What was typed comes back for the form.
    expect(result.data.result.initialValue.subject).toBe(form.subject)
    expect(await written(member.workspace.id)).toEqual(before)
  })

  it('refuses a mailbox of another workspace or an archived one, and writes nothing', async () => {
    const member = await createMember()
    const other = await createMember()
    const [archived] = await getDb()
      .insert(mailboxes)
      .values({
        workspaceId: member.workspace.id,
        name: 'Old',
        key: 'old',
        address: 'old@example.com',
        fromName: 'Old',
        archivedAt: new Date(),
      })
      .returning({ id: mailboxes.id })
    for (const mailboxId of [await firstMailbox(other.workspace.id), archived.id]) {
      const before = [await written(member.workspace.id), await written(other.workspace.id)]
      const result = await post(member, await validForm(member, { mailboxId }))
      expect(result.status).toBe(400)
      expect(result.data.result.error.mailboxId).toEqual([
        'That mailbox is archived or not in this workspace: choose another',
      ])
      expect([await written(member.workspace.id), await written(other.workspace.id)]).toEqual(before)
    }
  })

  it('gives a member of A a 404 for the new-ticket page and action of B, writing nothing', async () => {
    const a = await createMember()
    const b = await createMember()
    const slug = b.workspace.slug
    const page = await callLoader(newTicketRoute, `/w/${slug}/tickets/new`, {
      cookie: a.cookie,
      params: { slug },
    })
    expect(page.status).toBe(404)
    const before = await written(b.workspace.id)
    const result = await post(a, await validForm(b), undefined, slug)
    expect(result.status).toBe(404)
    expect(await written(b.workspace.id)).toEqual(before)
  })
})
