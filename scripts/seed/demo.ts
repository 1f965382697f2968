// `npm run db:seed -- --demo`: a demo workspace written through the domain functions, so its
// data is exactly what the app produces; only the timestamps are moved back afterwards.
import { sql } from 'drizzle-orm'
import { getDb } from '#db/client.ts'
import { customerReply, replyToTicket } from '#app/domain/messages.server.ts'
import { addTags, createTicket, updateTickets } from '#app/domain/tickets.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { DEMO_TICKETS, shortDemoTickets, type DemoTicket } from './demo-tickets.ts'
import { ensureWorkspace, workspaceExists, type SeedWorkspace } from './workspace.ts'

const DEMO_DOMAIN = 'demo.switchboard.test'
export const DEMO_OWNER = { name: 'Alex Morgan', email: `alex@${DEMO_DOMAIN}`, password: 'switchboard-demo' }
const DEMO_AGENTS = [
  { name: 'Sam Rivera', email: `sam@${DEMO_DOMAIN}` },
  { name: 'Jordan Lee', email: `jordan@${DEMO_DOMAIN}` },
]
const HOUR = 60 * 60 * 1000

export type DemoOutcome = { kind: 'exists' } | { kind: 'created'; email: string; password: string }

export async function seedDemo(options: { reset: boolean }): Promise<DemoOutcome> {
  if (await workspaceExists('demo')) {
    if (!options.reset) return { kind: 'exists' }
    await deleteDemo()
  }
  const ws = await ensureWorkspace({
    slug: 'demo',
    name: 'Acme Support',
    owner: DEMO_OWNER,
    agents: DEMO_AGENTS,
    mailboxes: [
      { name: 'Billing', key: 'billing' },
      { name: 'Sales', key: 'sales' },
    ],
  })
  const mailboxKeys = await mailboxIdsByKey(ws.id)
  const tickets = [...DEMO_TICKETS, ...shortDemoTickets()].sort((a, b) => b.daysAgo - a.daysAgo)
  for (const ticket of tickets) await seedTicket(ws, mailboxKeys, ticket)
  console.log(`Created ${tickets.length} demo tickets.`)
  return { kind: 'created', email: DEMO_OWNER.email, password: DEMO_OWNER.password }
}

async function deleteDemo() {
  const db = getDb()
  await db.execute(sql`delete from workspaces where slug = 'demo'`)
  await db.execute(sql`delete from users where email like ${`%@${DEMO_DOMAIN}`}`)
  console.log("Deleted the previous 'demo' workspace and its users.")
}

async function mailboxIdsByKey(workspaceId: string) {
  const result = await getDb().execute<{ id: string; key: string }>(
    sql`select id, key from mailboxes where workspace_id = ${workspaceId}`,
  )
  return Object.fromEntries(result.rows.map((r) => [r.key, r.id]))
}

function memberOf(ws: SeedWorkspace, index: number): Member & { user: { name: string } } {
  return {
    userId: ws.agentIds[index],
    role: index === 0 ? 'owner' : 'agent',
    workspaceId: ws.id,
    workspaceSlug: 'demo',
    workspaceName: 'Acme Support',
    user: { name: ws.agentNames[index] },
  }
}

async function seedTicket(ws: SeedWorkspace, mailboxKeys: Record<string, string>, ticket: DemoTicket) {
  const [first, ...rest] = ticket.thread
  const created = await createTicket(
    { workspaceId: ws.id, userId: ticket.channel === 'phone' ? ws.agentIds[ticket.assignee ?? 0] : null },
    {
      mailboxId: mailboxKeys[ticket.mailbox],
      customerEmail: ticket.customer[1],
      customerName: ticket.customer[0],
      subject: ticket.subject,
      body: first[1],
      channel: ticket.channel ?? (ticket.daysAgo % 2 < 1 ? 'email' : 'web'),
      sendConfirmation: ticket.channel !== 'phone',
    },
  )
  if (created.kind !== 'created') throw new Error(`Could not create demo ticket "${ticket.subject}"`)
  const owner = memberOf(ws, 0)
  const agent = memberOf(ws, ticket.assignee ?? 0)
  if (ticket.assignee !== null || ticket.priority !== 'normal') {
    await updateTickets(owner, [created.ticketId], {
      assigneeId: ticket.assignee === null ? undefined : agent.userId,
      priority: ticket.priority,
    })
  }
  if (ticket.tags.length > 0) await addTags(agent, [created.ticketId], ticket.tags)
  for (const [who, body] of rest) {
    if (who === 'c') await customerReply({ ticketId: created.ticketId, workspaceId: ws.id }, body)
    // Seeded by the operator: the workspace's outbound email limit is not the script's.
    else
      await replyToTicket(
        agent,
        created.number,
        { kind: who === 'a' ? 'reply' : 'note', body },
        { unlimited: true },
      )
  }
  if (ticket.status !== 'open') await updateTickets(agent, [created.ticketId], { status: ticket.status })
  await backdate(created.ticketId, ticket)
}

/**
 * Moves the ticket into the past: messages a few hours apart from `daysAgo`, and every
 * timestamp derived from them (activity, first response, resolution, audit, emails, reads).
 */
async function backdate(ticketId: string, ticket: DemoTicket) {
  const start = new Date(Date.now() - ticket.daysAgo * 24 * HOUR)
  const gapHours = Math.max(0.1, Math.min(5, (ticket.daysAgo * 24) / (ticket.thread.length + 1)))
  const gap = `${gapHours} hours`
  await getDb().transaction(async (tx) => {
    await tx.execute(sql`
      update messages m set created_at = ${start}::timestamptz + (o.i * ${gap}::interval)
      from (select id, row_number() over (order by created_at, id) - 1 as i
            from messages where ticket_id = ${ticketId}) o
      where m.id = o.id`)
    await tx.execute(sql`
      update audit_events a set created_at = ${start}::timestamptz + (o.i * ${gap}::interval / 3)
      from (select id, row_number() over (order by created_at, id) - 1 as i
            from audit_events where target_id = ${ticketId}) o
      where a.id = o.id`)
    await tx.execute(sql`
      update emails e set created_at = coalesce((select created_at from messages where id = e.message_id), ${start}::timestamptz)
      where e.ticket_id = ${ticketId}`)
    await tx.execute(sql`
      update ticket_reads r set read_at = coalesce(
        (select max(created_at) from messages where ticket_id = ${ticketId} and author_user_id = r.user_id), ${start}::timestamptz)
      where r.ticket_id = ${ticketId}`)
    await tx.execute(sql`
      update tickets t set
        created_at = ${start}::timestamptz,
        last_activity_at = s.last_at,
        updated_at = s.last_at,
        last_customer_message_at = s.last_customer_at,
        first_response_at = s.first_reply_at,
        resolved_at = case when t.status in ('resolved', 'closed') then s.last_at end
      from (select max(created_at) as last_at,
              max(created_at) filter (where author_contact_id is not null) as last_customer_at,
              min(created_at) filter (where author_user_id is not null and kind = 'reply') as first_reply_at
            from messages where ticket_id = ${ticketId}) s
      where t.id = ${ticketId}`)
  })
}
