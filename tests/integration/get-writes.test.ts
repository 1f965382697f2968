import { eq, sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails, ticketReads } from '#db/schema.ts'
import * as homeRoute from '#app/routes/_index.tsx'
import * as accountRoute from '#app/routes/account.tsx'
import * as devEmailRoute from '#app/routes/dev.emails.$id.tsx'
import * as devEmailsRoute from '#app/routes/dev.emails._index.tsx'
import * as inviteRoute from '#app/routes/invite.$token.tsx'
import * as loginRoute from '#app/routes/login.tsx'
import * as logoutRoute from '#app/routes/logout.tsx'
import * as signupRoute from '#app/routes/signup.tsx'
import * as supportFormRoute from '#app/routes/support.$slug._index.tsx'
import * as customerLinkRoute from '#app/routes/support.t.$token.tsx'
import * as workspaceHomeRoute from '#app/routes/w.$slug._index.tsx'
import * as customerRoute from '#app/routes/w.$slug.customers.$id.tsx'
import * as customersRoute from '#app/routes/w.$slug.customers._index.tsx'
import * as notificationsRoute from '#app/routes/w.$slug.notifications.tsx'
import * as settingsRoute from '#app/routes/w.$slug.settings._index.tsx'
import * as cannedRoute from '#app/routes/w.$slug.settings.canned-responses.tsx'
import * as mailboxesRoute from '#app/routes/w.$slug.settings.mailboxes.tsx'
import * as membersRoute from '#app/routes/w.$slug.settings.members.tsx'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import * as queueRoute from '#app/routes/w.$slug.tickets._index.tsx'
import * as newTicketRoute from '#app/routes/w.$slug.tickets.new.tsx'
import * as workspaceRoute from '#app/routes/w.$slug.tsx'
import * as newWorkspaceRoute from '#app/routes/workspaces.new.tsx'
import { startQueue } from '#app/jobs/queue.server.ts'
import { createInvitation, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { callLoader } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Creating an invitation queues its email.
beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

/**
 * A fingerprint of every table of the app, but the one a GET may write (ticket_reads, the
 * per-user read marker; session renewal runs before the routes and is not called here).
 */
async function fingerprint() {
  const { rows } = await getDb().execute<{ table_name: string }>(sql`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'ticket_reads'
    order by table_name`)
  const prints: Record<string, string> = {}
  for (const { table_name: table } of rows) {
    const {
      rows: [row],
    } = await getDb().execute<{ md5: string }>(
      sql`select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as md5 from ${sql.identifier(table)} t`,
    )
    prints[table] = row.md5
  }
  return prints
}

describe('GET requests', () => {
  it('write nothing but the viewing agent’s read marker, whatever page is loaded', async () => {
    const owner = await createMember('owner')
    const slug = owner.workspace.slug
    const ticket = await createTicketFor(owner)
    const { token: inviteToken } = await createInvitation(owner)
    const [contact] = await getDb()
      .execute<{ contact_id: string }>(sql`select contact_id from tickets where id = ${ticket.ticketId}`)
      .then((r) => r.rows)
    const [email] = await getDb().select({ id: emails.id }).from(emails).limit(1)
    const customerToken = ticket.customerLink.split('/').pop()!
    const signedIn = { cookie: owner.cookie }
    const pages: Array<[string, Parameters<typeof callLoader>[0], string, Record<string, string>]> = [
      ['home', homeRoute, '/', {}],
      ['account', accountRoute, '/account', {}],
      ['new workspace', newWorkspaceRoute, '/workspaces/new', {}],
      ['workspace layout', workspaceRoute, `/w/${slug}`, { slug }],
      ['workspace home', workspaceHomeRoute, `/w/${slug}`, { slug }],
      ['queue', queueRoute, `/w/${slug}/tickets`, { slug }],
      ['new ticket', newTicketRoute, `/w/${slug}/tickets/new`, { slug }],
      ['customers', customersRoute, `/w/${slug}/customers`, { slug }],
      [
        'customer',
        customerRoute,
        `/w/${slug}/customers/${contact.contact_id}`,
        { slug, id: contact.contact_id },
      ],
      ['settings', settingsRoute, `/w/${slug}/settings`, { slug }],
      ['members', membersRoute, `/w/${slug}/settings/members`, { slug }],
      ['mailboxes', mailboxesRoute, `/w/${slug}/settings/mailboxes`, { slug }],
      ['canned responses', cannedRoute, `/w/${slug}/settings/canned-responses`, { slug }],
      ['notifications', notificationsRoute, `/w/${slug}/notifications`, { slug }],
      ['logout (GET redirects)', logoutRoute, '/logout', {}],
      ['login', loginRoute, '/login', {}],
      ['signup', signupRoute, '/signup', {}],
      ['invite', inviteRoute, `/invite/${inviteToken}`, { token: inviteToken }],
      ['support form', supportFormRoute, `/support/${slug}`, { slug }],
      ['customer link', customerLinkRoute, `/support/t/${customerToken}`, { token: customerToken }],
      ['outbox', devEmailsRoute, '/dev/emails', {}],
      ...(email
        ? [['outbox email', devEmailRoute, `/dev/emails/${email.id}`, { id: email.id }] as const]
        : []),
    ] as never

    const before = await fingerprint()
    for (const [name, route, path, params] of pages) {
      const result = await callLoader(route, path, { ...signedIn, params })
      expect(result.status, name).toBeLessThan(400)
      expect(await fingerprint(), name).toEqual(before)
    }
    expect(await getDb().select().from(ticketReads).where(eq(ticketReads.ticketId, ticket.ticketId))).toEqual(
      [],
    )
  })

  it('mark the ticket read for the viewer only, idempotently, and change nothing else', async () => {
    const owner = await createMember('owner')
    const teammate = await createMember('agent', owner.workspace)
    const ticket = await createTicketFor(owner)
    const slug = owner.workspace.slug
    const open = (cookie: string) =>
      callLoader(ticketRoute, `/w/${slug}/tickets/${ticket.number}`, {
        cookie,
        params: { slug, number: String(ticket.number) },
      })
    const reads = () =>
      getDb()
        .select({ userId: ticketReads.userId })
        .from(ticketReads)
        .where(eq(ticketReads.ticketId, ticket.ticketId))
    const before = await fingerprint()

    expect((await open(owner.cookie)).status).toBe(200)
    expect((await open(owner.cookie)).status).toBe(200)
    expect(await reads()).toEqual([{ userId: owner.user.id }])
    expect(await fingerprint()).toEqual(before) // no audit row, no ticket change, no event row

    expect((await open(teammate.cookie)).status).toBe(200)
    expect((await reads()).map((r) => r.userId).sort()).toEqual([owner.user.id, teammate.user.id].sort())
  })
})
