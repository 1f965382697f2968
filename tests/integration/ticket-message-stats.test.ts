import { eq, sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { upsertTriage } from '#db/queries/ai-assist.ts'
import { messages, tickets } from '#db/schema.ts'
import { mergeContacts } from '#app/domain/contact-merge.server.ts'
import { renameContact } from '#app/domain/contacts.server.ts'
import { customerReply, replyToTicket } from '#app/domain/messages.server.ts'
import { tagTicket, untagTicket } from '#app/domain/ticket-page.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as ticketsRoute from '#app/routes/w.$slug.tickets._index.tsx'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { callLoader, inboxRows } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// The inbox row's message details come from ticket_message_stats, which triggers on messages and
// attachments keep (migration 0023_ticket_message_stats). Each test compares the table with a
// recount from messages, and reads the row the inbox shows on the next request.

// Agent replies queue their email in the same transaction.
beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

type Actor = Awaited<ReturnType<typeof createMember>>

async function inboxRow(actor: Actor, number: number) {
  const slug = actor.workspace.slug
  const result = await callLoader(ticketsRoute, `/w/${slug}/tickets?view=all`, {
    cookie: actor.cookie,
    params: { slug },
  })
  expect(result.status).toBe(200)
  return inboxRows(result).find((r: { number: number }) => r.number === number)
}

async function expectStatsExact() {
  const { rows } = await getDb().execute(sql`
    with actual as (
      select t.id as ticket_id,
        (select count(*)::int from messages m where m.ticket_id = t.id and m.held_until is null) as message_count,
        lr.id as last_reply_id,
        (select max(m.created_at) from messages m where m.ticket_id = t.id and m.kind = 'reply'
          and m.author_user_id is not null and m.held_until is null) as last_agent_reply_at,
        exists (select 1 from messages m join attachments a on a.message_id = m.id
          where m.ticket_id = t.id and m.held_until is null) as has_attachments,
        inbox_preview_line(lr.body_text) as last_reply_preview,
        case when lr.id is not null then lr.author_user_id is not null end as last_reply_from_agent,
        (select coalesce(json_agg(json_build_object('id', tg.id, 'name', tg.name) order by tg.name, tg.id), '[]'::json)
          from ticket_tags tt join tags tg on tg.id = tt.tag_id where tt.ticket_id = t.id)::text as tags,
        (select tr.gist from ticket_triage tr where tr.ticket_id = t.id) as gist,
        ct.name as contact_name, ct.email as contact_email
      from tickets t
      join contacts ct on ct.id = t.contact_id
      left join lateral (select m.id, m.body_text, m.author_user_id from messages m
        where m.ticket_id = t.id and m.kind = 'reply' and m.held_until is null
        order by m.created_at desc, m.id desc limit 1) lr on true
      where exists (select 1 from messages m where m.ticket_id = t.id)
        or exists (select 1 from ticket_tags tt where tt.ticket_id = t.id)
        or exists (select 1 from ticket_triage tr where tr.ticket_id = t.id)
    )
    select a.ticket_id, s.ticket_id as kept from actual a full join ticket_message_stats s on s.ticket_id = a.ticket_id
    where (a.message_count, a.last_reply_id, a.last_agent_reply_at, a.has_attachments, a.last_reply_preview,
        a.last_reply_from_agent, a.tags, a.gist, a.contact_name, a.contact_email)
      is distinct from (s.message_count, s.last_reply_id, s.last_agent_reply_at, s.has_attachments,
        s.last_reply_preview, s.last_reply_from_agent, s.tags::text, s.gist, s.contact_name, s.contact_email)
      and not (a.ticket_id is null and s.message_count = 0 and s.tags::text = '[]' and s.gist is null)`)
  expect(rows).toEqual([])
}

async function latestMessage(ticketId: string) {
  const [latest] = await getDb()
    .select({ id: messages.id })
    .from(messages)
    .where(eq(messages.ticketId, ticketId))
    .orderBy(sql`${messages.createdAt} desc`)
    .limit(1)
  return latest
}

async function contactOf(ticketId: string) {
  const [row] = await getDb()
    .select({ contactId: tickets.contactId })
    .from(tickets)
    .where(eq(tickets.id, ticketId))
  return row.contactId
}

describe('inbox row details kept by PostgreSQL', () => {
  it('follows customer messages, agent replies, notes and held replies, visible on the next request', async () => {
    const me = await createMember('owner')
    const ticket = await createTicketFor(me, { body: 'My kettle never arrived.' })
    let row = await inboxRow(me, ticket.number)
    expect(row).toMatchObject({ messageCount: 1, preview: 'My kettle never arrived.' })
    // An absent marker is empty: the preview is the customer's.
    expect(row.previewFromAgent).toBeFalsy()
    expect(row.waitingSince).toEqual(expect.any(String))

    const reply = await replyToTicket(asMember(me), ticket.number, {
      kind: 'reply',
      body: 'Sending a new one today.',
    })
    expect(reply.kind).toBe('sent')
    row = await inboxRow(me, ticket.number)
    expect(row).toMatchObject({
      messageCount: 2,
      preview: 'Sending a new one today.',
      previewFromAgent: true,
    })
    expect(row.waitingSince).toBeFalsy()

    // A note is counted but is not the customer-visible preview.
    await replyToTicket(asMember(me), ticket.number, { kind: 'note', body: 'Courier is slow this week.' })
    row = await inboxRow(me, ticket.number)
    expect(row).toMatchObject({ messageCount: 3, preview: 'Sending a new one today.' })

    await customerReply({ ticketId: ticket.ticketId, workspaceId: me.workspace.id }, 'Thanks!')
    row = await inboxRow(me, ticket.number)
    expect(row).toMatchObject({ messageCount: 4, preview: 'Thanks!' })
    expect(row.previewFromAgent).toBeFalsy()
    expect(row.waitingSince).toEqual(expect.any(String))

    // A reply in its undo window is not counted until it is released.
    const latest = await latestMessage(ticket.ticketId)
    await getDb()
      .update(messages)
      .set({ heldUntil: new Date(Date.now() + 60_000) })
      .where(eq(messages.id, latest.id))
    row = await inboxRow(me, ticket.number)
    expect(row).toMatchObject({ messageCount: 3, preview: 'Sending a new one today.' })
    await getDb().update(messages).set({ heldUntil: null }).where(eq(messages.id, latest.id))
    row = await inboxRow(me, ticket.number)
    expect(row).toMatchObject({ messageCount: 4, preview: 'Thanks!' })

    // A delivery status update changes nothing here.
    await getDb()
      .update(messages)
      .set({ deliveryStatus: 'delivered' })
      .where(eq(messages.ticketId, ticket.ticketId))
    await expectStatsExact()
  })

  it('marks attachments and follows their removal', async () => {
    const me = await createMember('owner')
    const ticket = await createTicketFor(me)
    expect((await inboxRow(me, ticket.number)).hasAttachments).toBeFalsy()
    const [first] = await getDb()
      .select({ id: messages.id })
      .from(messages)
      .where(eq(messages.ticketId, ticket.ticketId))
    await getDb()
      .execute(sql`insert into attachments (id, workspace_id, message_id, filename, content_type, size, sha256)
      values (gen_random_uuid(), ${me.workspace.id}, ${first.id}, 'receipt.pdf', 'application/pdf', 10, 'x')`)
    expect((await inboxRow(me, ticket.number)).hasAttachments).toBe(true)
    await getDb().execute(sql`delete from attachments where message_id = ${first.id}`)
    expect((await inboxRow(me, ticket.number)).hasAttachments).toBeFalsy()
    await expectStatsExact()
  })

  it('stays exact when customer and agents write to the same ticket at once', async () => {
    const me = await createMember('owner')
    const colleague = await createMember('agent', me.workspace)
    const ticket = await createTicketFor(me)
    const contactId = await contactOf(ticket.ticketId)
    const key = { ticketId: ticket.ticketId, workspaceId: me.workspace.id, contactId }
    await Promise.all([
      ...Array.from({ length: 4 }, (_, i) => customerReply(key, `Customer ${i}`)),
      ...Array.from({ length: 3 }, (_, i) =>
        replyToTicket(asMember(i % 2 ? me : colleague), ticket.number, {
          kind: 'reply',
          body: `Agent ${i}`,
          sendAnyway: true,
        }),
      ),
    ])
    const row = await inboxRow(me, ticket.number)
    expect(row.messageCount).toBe(8)
    await expectStatsExact()
  })

  it('adds inserted messages to the row exactly: older, held, several tickets at once, and no row yet', async () => {
    // Migration 0026: an insert adds to the row instead of recounting it. Each case below is one
    // the increment must get right; expectStatsExact compares with a full recount.
    const me = await createMember('owner')
    const a = await createTicketFor(me)
    const b = await createTicketFor(me)
    const bare = await createTicketFor(me)
    await replyToTicket(asMember(me), a.number, { kind: 'reply', body: 'Newest reply' })
    await getDb().delete(messages).where(eq(messages.ticketId, bare.ticketId))
    await getDb().execute(sql`delete from ticket_message_stats where ticket_id = ${bare.ticketId}`)
    const insert = (ticketId: string, kind: 'reply' | 'note', at: string, more = sql``) =>
      sql`(gen_random_uuid(), ${me.workspace.id}, ${ticketId}, ${kind}, ${me.user.id}, 'x', ${at}::timestamptz ${more})`
    // One statement over three tickets: an agent reply older than a's newest (it must not become
    // the last reply), a held reply (not counted), a note and a reply on b, and a first message on
    // a ticket without a row (recounted).
    await getDb().execute(sql`
      insert into messages (id, workspace_id, ticket_id, kind, author_user_id, body_text, created_at, held_until)
      values ${sql.join(
        [
          insert(a.ticketId, 'reply', '2001-01-01T00:00:00Z', sql`, null`),
          insert(a.ticketId, 'reply', '2999-01-01T00:00:00Z', sql`, now() + interval '1 minute'`),
          insert(b.ticketId, 'note', '2999-01-01T00:00:00Z', sql`, null`),
          insert(b.ticketId, 'reply', '2999-01-02T00:00:00Z', sql`, null`),
          insert(bare.ticketId, 'reply', '2999-01-03T00:00:00Z', sql`, null`),
        ],
        sql`, `,
      )}`)
    expect(await inboxRow(me, a.number)).toMatchObject({ messageCount: 3, preview: 'Newest reply' })
    expect((await inboxRow(me, b.number)).messageCount).toBe(3)
    expect((await inboxRow(me, bare.number)).messageCount).toBe(1)
    await expectStatsExact()
  })

  it('drops the row with its ticket', async () => {
    const me = await createMember('owner')
    const ticket = await createTicketFor(me)
    await tagTicket(asMember(me), ticket.number, 'Doomed')
    await getDb().delete(tickets).where(eq(tickets.id, ticket.ticketId))
    const { rows } = await getDb().execute(
      sql`select 1 from ticket_message_stats where ticket_id = ${ticket.ticketId}`,
    )
    expect(rows).toEqual([])
    await expectStatsExact()
  })

  it("keeps the last reply's preview line and who wrote it", async () => {
    const me = await createMember('owner')
    const long = 'é'.repeat(590) + 'abcdefghijklmnopqrstuvwxyz'
    const ticket = await createTicketFor(me, { body: long })
    const kept = async () =>
      (
        await getDb().execute<{ p: string }>(
          sql`select last_reply_preview as p from ticket_message_stats where ticket_id = ${ticket.ticketId}`,
        )
      ).rows[0].p
    // Made from the first 600 characters, cut at 160 (inbox_preview_line, migration 0045).
    const line = `${'é'.repeat(159)}…`
    expect(await kept()).toBe(line)
    let row = await inboxRow(me, ticket.number)
    expect(row.preview).toBe(line)
    expect(row.previewFromAgent).toBeFalsy()
    await replyToTicket(asMember(me), ticket.number, { kind: 'reply', body: 'On its way.' })
    row = await inboxRow(me, ticket.number)
    expect(row).toMatchObject({ preview: 'On its way.', previewFromAgent: true })
    // The reply removed (an undone send deletes its message): back to the customer's.
    const latest = await latestMessage(ticket.ticketId)
    await getDb().delete(messages).where(eq(messages.id, latest.id))
    expect(await kept()).toBe(line)
    row = await inboxRow(me, ticket.number)
    expect(row.preview).toBe(line)
    expect(row.previewFromAgent).toBeFalsy()
    await expectStatsExact()
  })
})

describe('inbox row tags kept by PostgreSQL', () => {
  const names = (row: { tags: Array<{ name: string }> }) => row.tags.map((t) => t.name)

  it('follows tagging, untagging, several tickets at once, renames and deletes, on the next request', async () => {
    const me = await createMember('owner')
    const a = await createTicketFor(me)
    const b = await createTicketFor(me)
    expect(names(await inboxRow(me, a.number))).toEqual([])
    await tagTicket(asMember(me), a.number, 'Refund')
    await tagTicket(asMember(me), a.number, 'billing')
    await tagTicket(asMember(me), a.number, 'Angry')
    // Ordered by name as PostgreSQL sorts them, ids included.
    const row = await inboxRow(me, a.number)
    const { rows: expected } = await getDb().execute<{ id: string; name: string }>(
      sql`select tg.id, tg.name from ticket_tags tt join tags tg on tg.id = tt.tag_id
          where tt.ticket_id = ${a.ticketId} order by tg.name, tg.id`,
    )
    expect(row.tags).toEqual(expected.map((t) => ({ id: t.id, name: t.name })))
    const billing = expected.find((t) => t.name === 'billing')!

    await untagTicket(asMember(me), a.number, billing.id)
    expect(names(await inboxRow(me, a.number))).not.toContain('billing')

    // One statement over two tickets.
    await getDb().execute(sql`insert into ticket_tags (ticket_id, tag_id, workspace_id)
      values (${a.ticketId}, ${billing.id}, ${me.workspace.id}), (${b.ticketId}, ${billing.id}, ${me.workspace.id})`)
    expect(names(await inboxRow(me, a.number))).toContain('billing')
    expect(names(await inboxRow(me, b.number))).toEqual(['billing'])

    // Renamed in SQL (the app has no rename yet): every ticket carrying it follows.
    await getDb().execute(sql`update tags set name = 'Billing 2' where id = ${billing.id}`)
    expect(names(await inboxRow(me, b.number))).toEqual(['Billing 2'])
    expect(names(await inboxRow(me, a.number))).toContain('Billing 2')
    // A batch id written on the rows changes nothing shown.
    await getDb().execute(
      sql`update ticket_tags set bulk_batch_id = gen_random_uuid() where tag_id = ${billing.id}`,
    )
    await expectStatsExact()

    // Deleted: it goes from every ticket.
    await getDb().execute(sql`delete from tags where id = ${billing.id}`)
    expect(names(await inboxRow(me, b.number))).toEqual([])
    expect(names(await inboxRow(me, a.number))).not.toContain('Billing 2')
    await expectStatsExact()
  })

  it('keeps the tags of a ticket without messages, and counts its first message', async () => {
    const me = await createMember('owner')
    const ticket = await createTicketFor(me)
    await getDb().delete(messages).where(eq(messages.ticketId, ticket.ticketId))
    await getDb().execute(sql`delete from ticket_message_stats where ticket_id = ${ticket.ticketId}`)
    await tagTicket(asMember(me), ticket.number, 'Quiet')
    let row = await inboxRow(me, ticket.number)
    expect(names(row)).toEqual(['Quiet'])
    expect(row.messageCount).toBeFalsy()
    await customerReply({ ticketId: ticket.ticketId, workspaceId: me.workspace.id }, 'Hello?')
    row = await inboxRow(me, ticket.number)
    expect(row).toMatchObject({ messageCount: 1, preview: 'Hello?' })
    expect(names(row)).toEqual(['Quiet'])
    await expectStatsExact()
  })

  it('keeps both tags when two agents tag one ticket at once', async () => {
    const me = await createMember('owner')
    const colleague = await createMember('agent', me.workspace)
    const ticket = await createTicketFor(me)
    await Promise.all([
      ...['One', 'Two', 'Three'].map((name) => tagTicket(asMember(me), ticket.number, name)),
      ...['Four', 'Five'].map((name) => tagTicket(asMember(colleague), ticket.number, name)),
      replyToTicket(asMember(colleague), ticket.number, {
        kind: 'reply',
        body: 'Meanwhile',
        sendAnyway: true,
      }),
    ])
    const row = await inboxRow(me, ticket.number)
    expect(names(row).sort()).toEqual(['Five', 'Four', 'One', 'Three', 'Two'])
    await expectStatsExact()
  })
})

describe('inbox row gist kept by PostgreSQL', () => {
  it('follows the triage row: written, rewritten, other fields changed, removed', async () => {
    const me = await createMember('owner')
    const ticket = await createTicketFor(me)
    const bare = await createTicketFor(me)
    await getDb().delete(messages).where(eq(messages.ticketId, bare.ticketId))
    await getDb().execute(sql`delete from ticket_message_stats where ticket_id = ${bare.ticketId}`)
    const triage = (ticketId: string, gist: string) =>
      upsertTriage(getDb(), { ticketId, workspaceId: me.workspace.id, gist, priority: 'high' })
    expect((await inboxRow(me, ticket.number)).gist).toBeFalsy()
    await triage(ticket.ticketId, 'Kettle lost in transit')
    expect((await inboxRow(me, ticket.number)).gist).toBe('Kettle lost in transit')
    await triage(ticket.ticketId, 'Kettle found, wants a refund')
    expect((await inboxRow(me, ticket.number)).gist).toBe('Kettle found, wants a refund')
    await getDb().execute(
      sql`update ticket_triage set applied_at = now() where ticket_id = ${ticket.ticketId}`,
    )
    // A ticket without messages or tags gets its row from the triage.
    await triage(bare.ticketId, 'Empty ticket')
    expect((await inboxRow(me, bare.number)).gist).toBe('Empty ticket')
    await expectStatsExact()
    await getDb().execute(sql`delete from ticket_triage where ticket_id = ${ticket.ticketId}`)
    expect((await inboxRow(me, ticket.number)).gist).toBeFalsy()
    await expectStatsExact()
  })
})

describe('inbox row contact kept by PostgreSQL', () => {
  it('follows a rename, an email change and a merge, on the next request', async () => {
    const me = await createMember('owner')
    const a = await createTicketFor(me, {
      customerName: 'Ada Lovelace',
      customerEmail: `ada-${Date.now()}@example.net`,
    })
    const b = await createTicketFor(me, {
      customerName: 'A. Lovelace',
      customerEmail: `al-${Date.now()}@example.org`,
    })
    const adaId = await contactOf(a.ticketId)
    const otherId = await contactOf(b.ticketId)
    expect(await inboxRow(me, a.number)).toMatchObject({ contactName: 'Ada Lovelace' })

    await renameContact(asMember(me), adaId, 'Ada King')
    expect(await inboxRow(me, a.number)).toMatchObject({ contactName: 'Ada King' })
    await getDb().execute(sql`update contacts set email = 'ada.king@example.net' where id = ${adaId}`)
    expect(await inboxRow(me, a.number)).toMatchObject({ contactEmail: 'ada.king@example.net' })
    // Other changes to the contact leave the rows alone.
    await getDb().execute(sql`update contacts set notes = 'Prefers email' where id = ${adaId}`)

    // The other contact's ticket moves to Ada and shows her.
    const merged = await mergeContacts(asMember(me), { keepId: adaId, mergeId: otherId })
    expect(merged.kind).toBe('merged')
    expect(await inboxRow(me, b.number)).toMatchObject({
      contactName: 'Ada King',
      contactEmail: 'ada.king@example.net',
    })
    await expectStatsExact()
  })

  it('stays exact when a contact is renamed while a merge moves tickets to and from them', async () => {
    const me = await createMember('owner')
    const x = await createTicketFor(me, {
      customerName: 'Xavier',
      customerEmail: `x-${Date.now()}@example.net`,
    })
    const y = await createTicketFor(me, {
      customerName: 'Yolanda',
      customerEmail: `y-${Date.now()}@example.net`,
    })
    const z = await createTicketFor(me, { customerName: 'Zed', customerEmail: `z-${Date.now()}@example.net` })
    const [xId, yId, zId] = await Promise.all([x, y, z].map((t) => contactOf(t.ticketId)))
    const outcomes = await Promise.allSettled([
      mergeContacts(asMember(me), { keepId: yId, mergeId: xId }),
      renameContact(asMember(me), yId, 'Yolanda Renamed'),
      // Gone if the merge that removes Xavier commits first.
      renameContact(asMember(me), xId, 'Xavier Renamed'),
      mergeContacts(asMember(me), { keepId: yId, mergeId: zId }),
    ])
    for (const [i, outcome] of outcomes.entries()) {
      if (i !== 2) expect(outcome.status).toBe('fulfilled')
    }
    for (const t of [x, y, z]) expect((await inboxRow(me, t.number)).contactName).toBe('Yolanda Renamed')
    await expectStatsExact()
  })
})
