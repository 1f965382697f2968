import { eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { contacts, emails, mailboxes, memberships, tickets, users, workspaces } from '#db/schema.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as accountRoute from '#app/routes/account.tsx'
import * as supportFormRoute from '#app/routes/support.$slug._index.tsx'
import * as customerRoute from '#app/routes/w.$slug.customers.$id.tsx'
import * as workspaceSettingsRoute from '#app/routes/w.$slug.settings._index.tsx'
import * as mailboxesRoute from '#app/routes/w.$slug.settings.mailboxes.tsx'
import * as newTicketRoute from '#app/routes/w.$slug.tickets.new.tsx'
import * as signupRoute from '#app/routes/signup.tsx'
import { createMember, createTicketFor, createUser, createWorkspace } from '#tests/helpers/factories.ts'
import { multipartForm } from '#tests/helpers/multipart.ts'
import { rowCounts } from '#tests/helpers/db-reads.ts'
import { callAction, testContext } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Names end up in email headers (From display names, greetings): a CR or LF in one could add a
// header such as Bcc. Every form that takes a name refuses them with a field error.
const INJECTION = '\r\nBcc: x@y'
const MESSAGE = "can't contain line breaks or control characters"

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

/** The tables a refused form must leave as they were. */
const watched = { users, workspaces, memberships, mailboxes, contacts, tickets, emails }

describe('names that reach email headers refuse CR, LF and control characters', () => {
  it.each([
    ['name', 'Name'],
    ['workspaceName', 'Workspace name'],
  ])('signup: %s', async (field, label) => {
    const before = await rowCounts(watched)
    const result = await callAction(signupRoute, '/signup', {
      name: 'Dana Scully',
      email: 'dana-header@example.com',
      password: 'a sufficiently long password',
      workspaceName: 'Acme Support',
      workspaceSlug: 'acme-header',
      [field]: INJECTION,
    })
    expect(result.status).toBe(400)
    expect(result.data.result.error[field]).toEqual([`${label} ${MESSAGE}`])
    expect(await rowCounts(watched)).toEqual(before)
  })

  it('account: the display name', async () => {
    const { user, cookie } = await createMember('agent')
    const result = await callAction(
      accountRoute,
      '/account',
      { intent: 'name', name: `Dana${INJECTION}` },
      { cookie },
    )
    expect(result.status).toBe(400)
    expect(result.data.result.error.name).toEqual([`Name ${MESSAGE}`])
    const [row] = await getDb().select({ name: users.name }).from(users).where(eq(users.id, user.id))
    expect(row.name).toBe(user.name)
  })

  it('workspace settings: the workspace name', async () => {
    const owner = await createMember('owner')
    const slug = owner.workspace.slug
    const result = await callAction(
      workspaceSettingsRoute,
      `/w/${slug}/settings`,
      { name: `Acme${INJECTION}` },
      { cookie: owner.cookie, params: { slug } },
    )
    expect(result.status).toBe(400)
    expect(result.data.result.error.name).toEqual([`Workspace name ${MESSAGE}`])
    const [row] = await getDb()
      .select({ name: workspaces.name })
      .from(workspaces)
      .where(eq(workspaces.id, owner.workspace.id))
    expect(row.name).toBe(`Workspace ${slug}`)
  })

  it.each([
    ['fromName', 'Sender name'],
    ['name', 'Name'],
  ])('mailbox settings: %s, on create and on update', async (field, label) => {
    const owner = await createMember('owner')
    const slug = owner.workspace.slug
    const post = (form: Record<string, string>) =>
      callAction(mailboxesRoute, `/w/${slug}/settings/mailboxes`, form, {
        cookie: owner.cookie,
        params: { slug },
      })
    const fields = {
      name: 'Billing',
      address: 'billing@acme.example',
      fromName: 'Acme Billing',
      signature: '',
    }
    const before = await getDb().select().from(mailboxes).where(eq(mailboxes.workspaceId, owner.workspace.id))

    const created = await post({ intent: 'create', ...fields, [field]: INJECTION })
    expect(created.status).toBe(400)
    expect(created.data.result.error[field]).toEqual([`${label} ${MESSAGE}`])

    const updated = await post({
      intent: 'update',
      mailboxId: before[0].id,
      ...fields,
      [field]: `Acme${INJECTION}`,
    })
    expect(updated.status).toBe(400)
    expect(updated.data.result.error[field]).toEqual([`${label} ${MESSAGE}`])

    expect(
      await getDb().select().from(mailboxes).where(eq(mailboxes.workspaceId, owner.workspace.id)),
    ).toEqual(before)
  })

  it('customer page: renaming a contact', async () => {
    const agent = await createMember('agent')
    const { ticketId } = await createTicketFor(agent, { customerName: 'Casey Customer' })
    const [{ contactId }] = await getDb()
      .select({ contactId: tickets.contactId })
      .from(tickets)
      .where(eq(tickets.id, ticketId))
    const slug = agent.workspace.slug
    const result = await callAction(
      customerRoute,
      `/w/${slug}/customers/${contactId}`,
      { name: `Casey${INJECTION}` },
      { cookie: agent.cookie, params: { slug, id: contactId } },
    )
    expect(result.status).toBe(400)
    expect(result.data.result.error.name).toEqual([`Name ${MESSAGE}`])
    const [row] = await getDb()
      .select({ name: contacts.name })
      .from(contacts)
      .where(eq(contacts.id, contactId))
    expect(row.name).toBe('Casey Customer')
  })

  it('new ticket: the customer name', async () => {
    const agent = await createMember('agent')
    const slug = agent.workspace.slug
    const [mailbox] = await getDb()
      .select({ id: mailboxes.id })
      .from(mailboxes)
      .where(eq(mailboxes.workspaceId, agent.workspace.id))
    const before = await rowCounts(watched)
    const result = await callAction(
      newTicketRoute,
      `/w/${slug}/tickets/new`,
      {
        customerEmail: 'caller@example.net',
        customerName: INJECTION,
        mailboxId: mailbox.id,
        subject: 'Called about a refund',
        body: 'They want a refund for the blue kettle.',
      },
      { cookie: agent.cookie, params: { slug } },
    )
    expect(result.status).toBe(400)
    expect(result.data.result.error.customerName).toEqual([`Name ${MESSAGE}`])
    expect(await rowCounts(watched)).toEqual(before)
  })

  it('public support form: the customer name', async () => {
    const workspace = await createWorkspace()
    const before = await rowCounts(watched)
    const form = multipartForm(
      {
        name: INJECTION,
        email: 'casey-header@example.net',
        subject: 'My kettle never arrived',
        message: 'I ordered a blue kettle two weeks ago and it still has not arrived.',
      },
      [],
    )
    const result = await callAction(supportFormRoute, `/support/${workspace.slug}`, form, {
      params: { slug: workspace.slug },
      context: { ...testContext(), clientIp: '198.51.100.213' },
    })
    expect(result.status).toBe(400)
    expect(result.data.result.error.name).toEqual([`Name ${MESSAGE}`])
    expect(await rowCounts(watched)).toEqual(before)
  })
})

describe('email headers built from stored names', () => {
  it('are one line even when a name stored before this check has a line break', async () => {
    // Rows written directly, as before the forms refused these characters.
    const workspace = await createWorkspace({ name: `Acme${INJECTION}` })
    const user = await createUser({ name: `Dana\u0085Scully${INJECTION}` })
    const agent = await createMember('agent', workspace)
    await getDb().update(memberships).set({ userId: user.id }).where(eq(memberships.id, agent.membershipId))
    const ticket = await createTicketFor(agent, { customerName: `Casey${INJECTION}`, subject: 'Kettle' })

    const member = {
      userId: user.id,
      role: 'agent' as const,
      workspaceId: workspace.id,
      workspaceSlug: workspace.slug,
      workspaceName: workspace.name,
      user: { name: user.name },
    }
    const outcome = await replyToTicket(member, ticket.number, { kind: 'reply', body: 'It ships tomorrow.' })
    expect(outcome.kind).toBe('sent')

    const sent = await getDb()
      .select({
        fromName: emails.fromName,
        fromAddress: emails.fromAddress,
        toAddress: emails.toAddress,
        replyTo: emails.replyTo,
        subject: emails.subject,
        headers: emails.headers,
      })
      .from(emails)
      .where(eq(emails.workspaceId, workspace.id))
    expect(sent.length).toBeGreaterThanOrEqual(1)
    // The sender name holds the mailbox's (here the workspace's) stored name, folded to one line.
    expect(sent.some((e) => e.fromName.includes('Acme Bcc: x@y'))).toBe(true)
    for (const email of sent) {
      const values = [email.fromName, email.fromAddress, email.toAddress, email.replyTo ?? '', email.subject]
      for (const value of [...values, ...Object.values(email.headers as Record<string, string>)]) {
        expect(value).not.toMatch(/[\r\n\u0085]/)
      }
    }
  })
})
