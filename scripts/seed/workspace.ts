import { and, eq, sql } from 'drizzle-orm'
import { getDb } from '#db/client.ts'
import { mailboxes, memberships, users, workspaces } from '#db/schema.ts'
import { uuidv7 } from '#db/uuid.ts'
import { insertUser, signUp } from '#app/domain/accounts.server.ts'
import { createMailbox } from '#app/domain/mailboxes.server.ts'
import { hashPassword } from '#app/domain/passwords.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { env } from '#app/env.server.ts'
import { TAG_NAMES } from './words.ts'

export type SeedPerson = { name: string; email: string }
export type SeedWorkspaceSpec = {
  slug: string
  name: string
  owner: SeedPerson & { password: string }
  /** Agents sign in with the owner's password. */
  agents: SeedPerson[]
  /** Created besides the default 'Support' mailbox. */
  mailboxes: Array<{ name: string; key: string }>
}

export type SeedWorkspace = {
  id: string
  ownerId: string
  /** The owner first, then the agents. */
  agentIds: string[]
  agentNames: string[]
  /** The default 'Support' mailbox first. */
  mailboxIds: string[]
  tagIds: string[]
  /** Host part of generated Message-IDs, as the app writes them. */
  host: string
  now: Date
}

export async function workspaceExists(slug: string) {
  const [row] = await getDb().select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.slug, slug))
  return Boolean(row)
}

/**
 * The workspace with its owner (signed up through the app), agents, mailboxes and tags;
 * whatever already exists is reused.
 */
export async function ensureWorkspace(spec: SeedWorkspaceSpec): Promise<SeedWorkspace> {
  const db = getDb()
  if (!(await workspaceExists(spec.slug))) {
    const outcome = await signUp({
      name: spec.owner.name,
      email: spec.owner.email,
      password: spec.owner.password,
      workspaceName: spec.name,
      workspaceSlug: spec.slug,
    })
    if (outcome.kind !== 'created') {
      throw new Error(`Cannot create workspace '${spec.slug}': ${outcome.kind} (${spec.owner.email})`)
    }
  }
  const [ws] = await db.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.slug, spec.slug))
  const [owner] = await db
    .select({ id: users.id })
    .from(users)
    .where(sql`lower(${users.email}) = lower(${spec.owner.email})`)
  const passwordHash = await hashPassword(spec.owner.password)
  const agentIds = [owner.id]
  for (const agent of spec.agents) {
    agentIds.push(await ensureAgent(ws.id, agent, passwordHash))
  }
  const member: Member = {
    userId: owner.id,
    role: 'owner',
    workspaceId: ws.id,
    workspaceSlug: spec.slug,
    workspaceName: spec.name,
  }
  for (const box of spec.mailboxes) {
    await createMailbox(member, {
      key: box.key,
      name: box.name,
      address: `${box.key}@${spec.slug}.example.com`,
      fromName: `${spec.name} ${box.name}`,
      signature: `— The ${spec.name} ${box.name.toLowerCase()} team`,
    })
  }
  const boxes = await db
    .select({ id: mailboxes.id, key: mailboxes.key })
    .from(mailboxes)
    .where(eq(mailboxes.workspaceId, ws.id))
  const mailboxIds = [
    ...boxes.filter((b) => b.key === 'support'),
    ...boxes.filter((b) => b.key !== 'support'),
  ].map((b) => b.id)
  const tagIds: string[] = []
  for (const name of TAG_NAMES) {
    const result = await db.execute<{ id: string }>(sql`
      insert into tags (id, workspace_id, name) values (${uuidv7()}, ${ws.id}, ${name})
      on conflict (workspace_id, lower(name)) do update set name = tags.name
      returning id`)
    tagIds.push(result.rows[0].id)
  }
  return {
    id: ws.id,
    ownerId: owner.id,
    agentIds,
    agentNames: [spec.owner.name, ...spec.agents.map((a) => a.name)],
    mailboxIds,
    tagIds,
    host: new URL(env().appUrl).hostname,
    now: new Date(),
  }
}

async function ensureAgent(workspaceId: string, agent: SeedPerson, passwordHash: string) {
  return getDb().transaction(async (tx) => {
    const [existing] = await tx
      .select({ id: users.id })
      .from(users)
      .where(sql`lower(${users.email}) = lower(${agent.email})`)
    const userId = existing?.id ?? (await insertUser(tx, agent.name, agent.email, passwordHash))
    const [membership] = await tx
      .select({ id: memberships.id })
      .from(memberships)
      .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)))
    if (!membership) await tx.insert(memberships).values({ workspaceId, userId, role: 'agent' })
    return userId
  })
}
