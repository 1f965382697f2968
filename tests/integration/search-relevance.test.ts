import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { listQueue, RELEVANCE_CANDIDATES } from '#db/queries/queue.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'

// What a search sorted by relevance promises (docs/performance.md, "Session 4: search"): it ranks
// the RELEVANCE_CANDIDATES most recently active matches, best first, ties by recency then id, and
// its cursor pages through exactly those. Any faster plan for the candidate walk must keep this.

type Member = Awaited<ReturnType<typeof createMember>>

/**
 * Copies of one real ticket (same contact and mailbox) with new numbers, activity one second apart
 * going back from `newest`, and the given search document: `count` of them in one statement.
 */
async function copies(member: Member, templateId: string, count: number, newest: Date, document: string) {
  await getDb().execute(sql`
    insert into tickets (id, workspace_id, number, mailbox_id, contact_id, subject, channel,
      thread_message_id, last_activity_at, created_at, search)
    select gen_random_uuid(), t.workspace_id,
      (select max(number) from tickets where workspace_id = t.workspace_id) + g, t.mailbox_id,
      t.contact_id, 'Copy ' || g, t.channel, '<copy-' || g || '-' || t.id || '@example.net>',
      ${newest.toISOString()}::timestamptz - make_interval(secs => g),
      ${newest.toISOString()}::timestamptz - make_interval(secs => g),
      to_tsvector('english', ${document})
    from tickets t, generate_series(1, ${count}) g
    where t.id = ${templateId} and t.workspace_id = ${member.workspace.id}`)
}

describe('search by relevance', () => {
  it('ranks only the most recently active matches, best first, and pages through exactly them', async () => {
    const member = await createMember()
    const other = await createMember()
    const template = await createTicketFor(member, { subject: 'Template', body: 'Nothing here.' })
    const base = Date.parse('2026-11-20T12:00:00Z')
    // The window: RELEVANCE_CANDIDATES + 1 ordinary matches, the last (oldest) one just outside it.
    await copies(member, template.ticketId, RELEVANCE_CANDIDATES + 1, new Date(base), 'refund please')
    // Strong matches: one inside the window, one older than all of it (never a candidate).
    await copies(member, template.ticketId, 1, new Date(base - 500_500), 'refund refund refund now refund')
    await copies(
      member,
      template.ticketId,
      1,
      new Date(base - 5_000_000),
      'refund refund refund refund refund',
    )
    // Noise: tickets that do not match, and another workspace's match, newest of all.
    await copies(member, template.ticketId, 50, new Date(base + 100_000), 'invoice please')
    const foreign = await createTicketFor(other, { subject: 'Elsewhere', body: 'Nothing.' })
    await copies(other, foreign.ticketId, 5, new Date(base + 200_000), 'refund refund refund refund refund')

    // The expectation, computed plainly: every match of the workspace with its rank and activity.
    const all = await getDb().execute<{ id: string; rank: number; at: string }>(sql`
      select id, ts_rank(search, websearch_to_tsquery('english', 'refund'))::float8 as rank,
        (last_activity_at at time zone 'UTC')::text as at
      from tickets where workspace_id = ${member.workspace.id}
        and search @@ websearch_to_tsquery('english', 'refund')`)
    const byRecency = [...all.rows].sort((a, b) => b.at.localeCompare(a.at) || b.id.localeCompare(a.id))
    const window = byRecency.slice(0, RELEVANCE_CANDIDATES)
    const expected = [...window]
      .sort((a, b) => b.rank - a.rank || b.at.localeCompare(a.at) || b.id.localeCompare(a.id))
      .map((r) => r.id)
    const strongOutside = byRecency.at(-1)!
    expect(all.rows).toHaveLength(RELEVANCE_CANDIDATES + 3)
    expect(window.map((r) => r.id)).not.toContain(strongOutside.id)

    const input = {
      workspaceId: member.workspace.id,
      userId: member.user.id,
      sort: 'relevance' as const,
      filters: { view: 'all' as const, q: 'refund' },
      rowExtras: true,
    }
    // Every page by its cursor: exactly the window, in rank order, nothing twice.
    const seen: string[] = []
    let page = await listQueue(getDb(), { ...input, limit: 100 })
    const pages = [page]
    while (page.hasNext) {
      page = await listQueue(getDb(), { ...input, limit: 100, cursor: page.rows.at(-1)!.sortKey })
      pages.push(page)
    }
    for (const p of pages) seen.push(...p.rows.map((r) => r.id))
    expect(seen).toEqual(expected)
    expect(pages).toHaveLength(RELEVANCE_CANDIDATES / 100)
    // Back from the second page gives the first again; one big page gives the same order.
    const back = await listQueue(getDb(), {
      ...input,
      limit: 100,
      cursor: pages[1].rows[0].sortKey,
      direction: 'prev',
    })
    expect(back.rows.map((r) => r.id)).toEqual(pages[0].rows.map((r) => r.id))
    const whole = await listQueue(getDb(), { ...input, limit: RELEVANCE_CANDIDATES })
    expect(whole.rows.map((r) => r.id)).toEqual(expected)
    expect(whole.hasNext).toBe(false)

    // Filters apply before the window is taken: among the resolved tickets, the strong old one is
    // the only match, so it is found.
    await getDb().execute(sql`update tickets set status = 'resolved' where id = ${strongOutside.id}`)
    const resolved = await listQueue(getDb(), {
      ...input,
      filters: { view: 'resolved' as const, q: 'refund' },
    })
    expect(resolved.rows.map((r) => r.id)).toEqual([strongOutside.id])
  })
})
