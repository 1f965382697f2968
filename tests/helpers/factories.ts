import { randomBytes } from 'node:crypto'
import { asc, eq, sql } from 'drizzle-orm'
import { getDb } from '#db/client.ts'
import {
  auditEvents,
  invitations,
  mailboxes,
  memberships,
  tickets,
  users,
  workspaces,
  type MembershipRole,
} from '#db/schema.ts'
import { inviteMember } from '#app/domain/invitations.server.ts'
import { hashPassword } from '#app/domain/passwords.server.ts'
import { createSession } from '#app/http/auth.server.ts'

export const PASSWORD = 'correct horse battery staple'
let passwordHash: Promise<string> | undefined

const unique = () => randomBytes(4).toString('hex')

/** A user with the shared test password, and a signed-in cookie for them. */
export async function createUser(overrides: { email?: string; name?: string } = {}) {
  passwordHash ??= hashPassword(PASSWORD)
  const email = overrides.email ?? `user-${unique()}@example.com`
  const [user] = await getDb()
    .insert(users)
    .values({ email, name: overrides.name ?? 'Test User', passwordHash: await passwordHash })
    .returning({ id: users.id, email: users.email, name: users.name })
  return user
}

/** A sign-in's context with no sockets to disconnect (the factories' cookies replace none). */
export const NO_SOCKETS = { clientIp: '127.0.0.1', realtime: { disconnectSessions() {} } }

export async function signIn(userId: string) {
  const { id, setCookie } = await createSession(userId, new Request('http://localhost/'), NO_SOCKETS)
  return { sessionId: id, cookie: setCookie.split(';')[0] }
}

export async function createWorkspace(overrides: { slug?: string; name?: string } = {}) {
  const slug = overrides.slug ?? `ws-${unique()}`
  const [workspace] = await getDb()
    .insert(workspaces)
    .values({ slug, name: overrides.name ?? `Workspace ${slug}` })
    .returning({ id: workspaces.id, slug: workspaces.slug, name: workspaces.name })
  await getDb()
    .insert(mailboxes)
    .values({
      workspaceId: workspace.id,
      name: 'Support',
      key: 'support',
      address: `${slug}@example.com`,
      fromName: workspace.name,
    })
  return workspace
}

export async function addMember(workspaceId: string, userId: string, role: MembershipRole) {
  const [row] = await getDb()
    .insert(memberships)
    .values({ workspaceId, userId, role })
    .returning({ id: memberships.id })
  return row.id
}

/** A workspace with a signed-in member of the given role. */
export async function createMember(role: MembershipRole = 'owner', workspace?: { id: string; slug: string }) {
  const ws = workspace ?? (await createWorkspace())
  const user = await createUser()
  const membershipId = await addMember(ws.id, user.id, role)
  const { cookie, sessionId } = await signIn(user.id)
  return { user, workspace: ws, role, membershipId, cookie, sessionId }
}

export type TestMember = Awaited<ReturnType<typeof createMember>>

/** An owner, an admin and an agent, all signed in, in one workspace. */
export async function team() {
  const workspace = await createWorkspace({ name: 'Acme Support' })
  const owner = await createMember('owner', workspace)
  const admin = await createMember('admin', workspace)
  const agent = await createMember('agent', workspace)
  return { owner, admin, agent, workspace }
}

/** The actor a domain call takes (what `requireMember` gives a route), for a test member in its own role. */
export function asMember(m: Pick<TestMember, 'user' | 'workspace' | 'role'>) {
  return {
    userId: m.user.id,
    role: m.role,
    workspaceId: m.workspace.id,
    workspaceSlug: m.workspace.slug,
    workspaceName: 'W',
    user: { name: m.user.name },
  }
}

/** An open invitation created through the domain, as an owner would; returns its one-time token. */
export async function createInvitation(
  inviter: { user: { id: string }; workspace: { id: string } },
  overrides: { email?: string; role?: MembershipRole } = {},
) {
  const email = overrides.email ?? `invitee-${unique()}@example.com`
  const [workspace] = await getDb()
    .select({ id: workspaces.id, slug: workspaces.slug, name: workspaces.name })
    .from(workspaces)
    .where(eq(workspaces.id, inviter.workspace.id))
  const outcome = await inviteMember(
    {
      userId: inviter.user.id,
      role: 'owner',
      workspaceId: workspace.id,
      workspaceSlug: workspace.slug,
      workspaceName: workspace.name,
    },
    email,
    overrides.role ?? 'agent',
  )
  if (outcome.kind !== 'invited') throw new Error(`createInvitation: ${outcome.kind}`)
  return { token: outcome.token, email }
}

/** Everything a workspace owns that settings actions can change, to assert "nothing was written". */
export async function workspaceSnapshot(workspaceId: string) {
  const db = getDb()
  const [workspace] = await db
    .select({ name: workspaces.name, slug: workspaces.slug })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId))
  const members = await db
    .select({ id: memberships.id, userId: memberships.userId, role: memberships.role })
    .from(memberships)
    .where(eq(memberships.workspaceId, workspaceId))
    .orderBy(asc(memberships.id))
  const invites = await db
    .select({
      id: invitations.id,
      email: invitations.email,
      role: invitations.role,
      acceptedAt: invitations.acceptedAt,
      revokedAt: invitations.revokedAt,
    })
    .from(invitations)
    .where(eq(invitations.workspaceId, workspaceId))
    .orderBy(asc(invitations.id))
  const audit = await db
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(eq(auditEvents.workspaceId, workspaceId))
    .orderBy(asc(auditEvents.id))
  return { workspace, members, invites, audit }
}

/** A ticket in the member's workspace, opened by a customer through the web form. */
export async function createTicketFor(
  member: { workspace: { id: string } },
  overrides: Partial<{ subject: string; body: string; customerEmail: string; customerName: string }> = {},
) {
  const { createTicket } = await import('#app/domain/tickets.server.ts')
  const { listMailboxes } = await import('#db/queries/mailboxes.ts')
  const [mailbox] = await listMailboxes(getDb(), { workspaceId: member.workspace.id })
  const outcome = await createTicket(
    { workspaceId: member.workspace.id, userId: null },
    {
      mailboxId: mailbox.id,
      customerEmail: overrides.customerEmail ?? `customer-${unique()}@example.net`,
      customerName: overrides.customerName ?? 'Casey Customer',
      subject: overrides.subject ?? 'My order has not arrived',
      body: overrides.body ?? 'I ordered a blue kettle two weeks ago and it still has not arrived.',
      channel: 'web',
    },
  )
  if (outcome.kind !== 'created') throw new Error('ticket not created')
  return { ...outcome, mailboxId: mailbox.id }
}

/** How many tickets the workspace has. */
export async function ticketCount(workspaceId: string) {
  const [row] = await getDb()
    .select({ n: sql<number>`count(*)::int` })
    .from(tickets)
    .where(eq(tickets.workspaceId, workspaceId))
  return row.n
}

/** Sets ticket columns directly (timestamps, status, priority…) to arrange a queue. */
export async function setTicket(
  ticketId: string,
  values: Partial<{
    status: 'open' | 'pending' | 'resolved' | 'closed'
    priority: 'low' | 'normal' | 'high' | 'urgent'
    assigneeId: string | null
    mailboxId: string
    lastActivityAt: Date
    createdAt: Date
  }>,
) {
  await getDb().update(tickets).set(values).where(eq(tickets.id, ticketId))
}

/**
 * `hits` customer email recipients already counted for the workspace in the current hour (the
 * window its limit counts in now), as earlier replies would have: a test reaches the limit
 * without sending that many.
 */
export async function outboundEmailsCounted(workspaceId: string, hits: number) {
  const { OUTBOUND_EMAIL_WINDOW_MS } = await import('#app/domain/outbound-email-limit.server.ts')
  await getDb().execute(sql`
    insert into rate_limit_counters (key, window_start, hits, expires_at)
    values (
      ${`outbound-email:${workspaceId}`},
      date_bin(${OUTBOUND_EMAIL_WINDOW_MS}::bigint * interval '1 millisecond', now(), timestamptz 'epoch'),
      ${hits}, now() + interval '2 hours'
    )
    on conflict (key, window_start) do update set hits = excluded.hits`)
}
