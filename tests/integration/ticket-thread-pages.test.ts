import { and, asc, eq, isNull, or } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { attachments, auditEvents, messages } from '#db/schema.ts'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import * as earlierRoute from '#app/routes/w.$slug.tickets.$number_.earlier.tsx'
import { EARLIER_PAGE, THREAD_TAIL } from '#app/domain/ticket-page.server.ts'
import { createMember, createTicketFor, team, type TestMember } from '#tests/helpers/factories.ts'
import { rowsReturnedBy } from '#tests/helpers/db-reads.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { callLoader, withJson } from '#tests/helpers/routes.ts'

// The agent's ticket page reads its thread a page at a time. Probed 2026-12-05: "Show N earlier
// messages" (`?thread=all`) read and rendered every message; a 30 MB thread cost one view 5.9 s
// and 430 MB, and ten at once stalled the event loop (503s for everyone).

/** Each inserted message's body: ~2 KB, so a page's bytes tell a page from the whole thread. */
const filler = 'Words that give the message a realistic, measurable size. '.repeat(34)

/**
 * A ticket of the owner's: the customer's first message and 119 more, two per second (ties on
 * created_at), visible to the owner: notes, an inbound email from a non-participant (message 30),
 * a file on message 12, the owner's own reply in its undo window (message 119). Plus a teammate's
 * reply in its undo window (only its author sees it) and a field change every 10 messages.
 */
async function longThread() {
  const { owner, agent } = await team()
  const ticket = await createTicketFor(owner, { body: 'Message 1: the very first message.' })
  const start = Date.now() + 1_000
  const at = (i: number) => new Date(start + Math.floor(i / 2) * 1_000)
  const base = { workspaceId: owner.workspace.id, ticketId: ticket.ticketId }
  const rows = Array.from({ length: 119 }, (_, k) => {
    const i = k + 2
    return {
      ...base,
      kind: i % 3 === 0 ? ('note' as const) : ('reply' as const),
      authorUserId: i === 30 ? null : owner.user.id,
      notFromParticipant: i === 30,
      threadedBy: i === 30 ? ('header' as const) : null,
      heldUntil: i === 119 ? new Date(Date.now() + 3_600_000) : null,
      bodyText: `Message ${i}: ${filler}`,
      createdAt: at(i),
    }
  })
  const inserted = await getDb().insert(messages).values(rows).returning({ id: messages.id })
  await getDb()
    .insert(attachments)
    .values({
      workspaceId: owner.workspace.id,
      messageId: inserted[10].id,
      filename: 'receipt-of-message-12.pdf',
      contentType: 'application/pdf',
      size: 1234,
      sha256: 'a'.repeat(64),
    })
  await getDb()
    .insert(messages)
    .values({
      ...base,
      kind: 'reply',
      authorUserId: agent.user.id,
      bodyText: `TEAMMATE held reply ${filler}`,
      createdAt: at(60),
      heldUntil: new Date(Date.now() + 3_600_000),
    })
  await getDb()
    .insert(auditEvents)
    .values(
      Array.from({ length: 12 }, (_, k) => ({
        workspaceId: owner.workspace.id,
        actorUserId: owner.user.id,
        action: 'ticket.priority-changed',
        targetType: 'ticket',
        targetId: ticket.ticketId,
        data: { before: 'low', after: `change-${k}` },
        createdAt: new Date(at(k * 10 + 5).getTime() + 500),
      })),
    )
  return { owner, agent, ticket }
}

/** The thread as the owner sees it, in order: every message but the teammate's held reply. */
async function threadIds(owner: TestMember, ticketId: string) {
  const rows = await getDb()
    .select({ id: messages.id })
    .from(messages)
    .where(
      and(
        eq(messages.ticketId, ticketId),
        or(isNull(messages.heldUntil), eq(messages.authorUserId, owner.user.id)),
      ),
    )
    .orderBy(asc(messages.createdAt), asc(messages.id))
  return rows.map((r) => r.id)
}

const pagePath = (owner: TestMember, number: number, query = '') =>
  `/w/${owner.workspace.slug}/tickets/${number}${query}`

function openPage(owner: TestMember, number: number, query = '') {
  return callLoader(ticketRoute, pagePath(owner, number, query), {
    cookie: owner.cookie,
    params: { slug: owner.workspace.slug, number: String(number) },
  })
}

async function loadEarlier(owner: TestMember, number: number, before: string) {
  return withJson(
    await callLoader(earlierRoute, `/w/${owner.workspace.slug}/tickets/${number}/earlier?before=${before}`, {
      cookie: owner.cookie,
      params: { slug: owner.workspace.slug, number: String(number) },
    }),
  )
}

type PageMessage = { id: string; bodyText: string; attachments: unknown[]; inbound?: unknown }
const ids = (data: { thread: PageMessage[] }) => data.thread.map((m) => m.id)
/** A page's cost: rows and bytes PostgreSQL returned, a page of ~2 KB messages at most. */
const PAGE_BYTES = (EARLIER_PAGE + 10) * 2_500

describe('the ticket page reads its thread a page at a time', () => {
  it('shows the newest messages and a link; following the links walks the thread back to its start, a page at a time', async () => {
    const { owner, ticket } = await longThread()
    const thread = await threadIds(owner, ticket.ticketId)
    expect(thread).toHaveLength(120)

    const newest = await rowsReturnedBy(() => openPage(owner, ticket.number))
    expect(newest.value.status).toBe(200)
    const first = newest.value.data
    expect(ids(first)).toEqual(thread.slice(-THREAD_TAIL))
    expect(first.earlierMessages).toBe(120 - THREAD_TAIL)
    expect(first.earlierPage).toBe(false)
    expect(first.newestMessageId).toBe(thread.at(-1))
    expect(first.messageCount).toBe(120)
    expect(newest.rows).toBeLessThan(EARLIER_PAGE + 10)
    expect(newest.bytes).toBeLessThan(PAGE_BYTES)

    // Without JavaScript: the ticket page at ?before=<first shown>, page after page.
    const walked: string[][] = [ids(first)]
    let before = first.thread[0].id
    let earlier = first.earlierMessages
    while (earlier > 0) {
      const read = await rowsReturnedBy(() => openPage(owner, ticket.number, `?before=${before}`))
      const page = read.value.data
      expect(read.value.status).toBe(200)
      expect(page.earlierPage).toBe(true)
      expect(page.thread.length).toBe(Math.min(EARLIER_PAGE, earlier))
      expect(page.earlierMessages).toBe(earlier - page.thread.length)
      // The composer's collision check and the AI views still know the thread's newest message.
      expect(page.newestMessageId).toBe(thread.at(-1))
      expect(page.messageCount).toBe(120)
      expect(read.rows).toBeLessThan(EARLIER_PAGE + 10)
      expect(read.bytes).toBeLessThan(PAGE_BYTES)
      walked.unshift(ids(page))
      before = page.thread[0].id
      earlier = page.earlierMessages
    }
    // In order, no duplicates, no gaps, the teammate's held reply nowhere.
    expect(walked.flat()).toEqual(thread)
    expect(walked).toHaveLength(1 + Math.ceil((120 - THREAD_TAIL) / EARLIER_PAGE))
  })

  it('loads the same pages as data for the link with JavaScript, notes, flags and files as on the page', async () => {
    const { owner, ticket } = await longThread()
    const thread = await threadIds(owner, ticket.ticketId)
    const newest = (await openPage(owner, ticket.number)).data
    const walked: PageMessage[][] = [newest.thread]
    let before = newest.thread[0].id
    let earlier = newest.earlierMessages
    while (earlier > 0) {
      const read = await rowsReturnedBy(() => loadEarlier(owner, ticket.number, before))
      const page = read.value.data
      expect(read.value.status).toBe(200)
      expect(page).toMatchObject({ ticketId: ticket.ticketId, before })
      expect(page.thread.length).toBe(Math.min(EARLIER_PAGE, earlier))
      expect(read.rows).toBeLessThan(EARLIER_PAGE + 10)
      expect(read.bytes).toBeLessThan(PAGE_BYTES)
      // The same messages as the page without JavaScript shows for that link.
      const plain = (await openPage(owner, ticket.number, `?before=${before}`)).data
      expect(page.thread).toEqual(plain.thread)
      expect(page.activity).toEqual(plain.activity)
      walked.unshift(page.thread)
      before = page.thread[0].id
      earlier = page.earlierMessages
    }
    const all = walked.flat()
    expect(all.map((m) => m.id)).toEqual(thread)
    const body = (n: number) => all.find((m) => m.bodyText.startsWith(`Message ${n}:`))!
    expect(body(12).attachments).toEqual([
      expect.objectContaining({ filename: 'receipt-of-message-12.pdf', size: 1234 }),
    ])
    expect(body(30).inbound).toMatchObject({ notFromParticipant: true, threadedBy: 'header' })
    expect(body(3)).toMatchObject({ kind: 'note' })
    expect(JSON.stringify(all)).not.toContain('TEAMMATE')
  })

  it('shows the field changes among each page’s messages', async () => {
    const { owner, ticket } = await longThread()
    const newest = (await openPage(owner, ticket.number)).data
    // Changes at messages 5, 15, …, 115 (half a second after each): the newest page (111–120)
    // has the one at 115; the page before (91–110) those at 95 and 105.
    expect(newest.activity.map((a: { data: { after: string } }) => a.data.after)).toEqual(['change-11'])
    const earlier = (await openPage(owner, ticket.number, `?before=${newest.thread[0].id}`)).data
    expect(earlier.activity.map((a: { data: { after: string } }) => a.data.after)).toEqual([
      'change-10',
      'change-9',
    ])
    const data = (await loadEarlier(owner, ticket.number, newest.thread[0].id)).data
    expect(data.activity).toEqual(earlier.activity)
  })

  it("shows only this ticket's newest page for another ticket's or workspace's message as the cursor", async () => {
    const { owner, agent, ticket } = await longThread()
    const newest = ids((await openPage(owner, ticket.number)).data)
    const other = await createTicketFor(owner, { body: 'OTHER ticket of the same workspace.' })
    const stranger = await createMember('owner')
    const foreign = await createTicketFor(stranger, { body: 'FOREIGN workspace message.' })
    const idOf = async (ticketId: string) =>
      (await getDb().select({ id: messages.id }).from(messages).where(eq(messages.ticketId, ticketId)))[0].id
    const [teammateHeld] = await getDb()
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.ticketId, ticket.ticketId), eq(messages.authorUserId, agent.user.id)))
    const cursors = [
      await idOf(other.ticketId),
      await idOf(foreign.ticketId),
      teammateHeld.id,
      'nonsense',
      '%00',
    ]
    for (const cursor of cursors) {
      const page = await openPage(owner, ticket.number, `?before=${cursor}`)
      expect(page.status, cursor).toBe(200)
      expect(ids(page.data), cursor).toEqual(newest)
      expect(page.data.earlierPage, cursor).toBe(false)
      expect(JSON.stringify(page.data), cursor).not.toMatch(/OTHER|FOREIGN|TEAMMATE/)
      const data = await loadEarlier(owner, ticket.number, cursor)
      expect(data.status, cursor).toBe(200)
      expect(data.data, cursor).toMatchObject({ before: null, thread: [], activity: [] })
    }
    // Another workspace's member gets a 404 for this ticket's earlier messages, and their own
    // ticket with this ticket's message as the cursor gives nothing of this one.
    const outsider = await callLoader(
      earlierRoute,
      `/w/${owner.workspace.slug}/tickets/${ticket.number}/earlier?before=${newest[0]}`,
      { cookie: stranger.cookie, params: { slug: owner.workspace.slug, number: String(ticket.number) } },
    )
    expect(outsider.status).toBe(404)
    const crossed = await loadEarlier(stranger, foreign.number, newest[0])
    expect(crossed.data).toMatchObject({ ticketId: foreign.ticketId, before: null, thread: [] })
  })

  it('keeps ?thread=all (old links) working, as the page before the newest one', async () => {
    const { owner, ticket } = await longThread()
    const thread = await threadIds(owner, ticket.ticketId)
    const read = await rowsReturnedBy(() => openPage(owner, ticket.number, '?thread=all'))
    expect(read.value.status).toBe(200)
    const page = read.value.data
    expect(ids(page)).toEqual(thread.slice(-THREAD_TAIL - EARLIER_PAGE, -THREAD_TAIL))
    expect(page.earlierPage).toBe(true)
    expect(page.earlierMessages).toBe(120 - THREAD_TAIL - EARLIER_PAGE)
    expect(read.bytes).toBeLessThan(PAGE_BYTES)
  })
})

describe('the earlier pages over HTTP', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>
  beforeAll(async () => {
    server = await startTestServer({ sockets: false })
  })
  afterAll(async () => {
    await server.close()
  })

  it('links to ?before=<first shown> as a plain anchor; that page links on, back to the latest, and keeps the composer', async () => {
    const { owner, ticket } = await longThread()
    const url = `${server.url}${pagePath(owner, ticket.number)}`
    const html = await (await fetch(url, { headers: { cookie: owner.cookie } })).text()
    const link = html.match(/<a [^>]*href="([^"]*\?before=[^"]*)"[^>]*>Show 110 earlier messages<\/a>/)
    expect(link).not.toBeNull()
    const earlier = await fetch(new URL(link![1].replaceAll('&amp;', '&'), url), {
      headers: { cookie: owner.cookie },
    })
    expect(earlier.status).toBe(200)
    const page = await earlier.text()
    const conversation = page.match(/<ol [^>]*aria-label="Conversation"[^>]*>[\s\S]*?<\/ol>/)![0]
    expect(conversation.match(/<article /g)).toHaveLength(EARLIER_PAGE)
    // Messages 91–110 (two share each second, so the ends of a page may swap with their pair).
    expect(conversation).toContain('Message 108:')
    expect(conversation).toContain('Message 93:')
    expect(conversation).not.toContain('Message 112:')
    expect(conversation).not.toContain('Message 89:')
    // No message of an earlier page is the thread's newest (`#latest` is the newest's anchor).
    expect(conversation).not.toContain('id="latest"')
    expect(page).toMatch(/<a [^>]*href="[^"]*\?before=[^"]*"[^>]*>Show 90 earlier messages<\/a>/)
    expect(page).toMatch(/<a [^>]*href="[^"]*\/tickets\/\d+#latest"[^>]*>Show the latest messages<\/a>/)
    // The composer's last-seen message is the thread's newest, as on the newest page.
    const newestId = (await threadIds(owner, ticket.ticketId)).at(-1)
    expect(page).toContain(`name="lastSeenMessageId" value="${newestId}"`)
  })
})
