import { Readable } from 'node:stream'
import { and, asc, count, desc, eq, isNull } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { attachments, customerLinks, messages, tickets } from '#db/schema.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { updateTickets } from '#app/domain/tickets.server.ts'
import { hashToken, newToken } from '#app/domain/tokens.server.ts'
import { storeStream } from '#app/integrations/storage.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as filesRoute from '#app/routes/support.t.$token.files.$id.tsx'
import * as agentFileRoute from '#app/routes/w.$slug.attachments.$id.tsx'
import * as linkRoute from '#app/routes/support.t.$token.tsx'
import {
  addMember,
  asMember,
  createMember,
  createTicketFor,
  createUser,
  signIn,
  type TestMember,
} from '#tests/helpers/factories.ts'
import { rowsReturnedBy } from '#tests/helpers/db-reads.ts'
import { file, multipartForm } from '#tests/helpers/multipart.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { callAction, callLoader, testContext, type RealtimeCalls } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

async function agentNamed(name: string) {
  const base = await createMember()
  const user = await createUser({ name })
  const membershipId = await addMember(base.workspace.id, user.id, 'agent')
  const { cookie, sessionId } = await signIn(user.id)
  return { user, workspace: base.workspace, role: 'agent' as const, membershipId, cookie, sessionId }
}

async function ticketWithLink(member: TestMember) {
  const ticket = await createTicketFor(member)
  const token = new URL(ticket.customerLink).pathname.split('/').pop()!
  return { ...ticket, token }
}

const view = (token: string) => callLoader(linkRoute, `/support/t/${token}`, { params: { token } })

async function reply(token: string, fields: Record<string, string>, files: File[] = []) {
  const calls: RealtimeCalls = { disconnected: [], removed: [], published: [] }
  const result = await callAction(linkRoute, `/support/t/${token}`, multipartForm(fields, files), {
    params: { token },
    context: testContext(calls),
  })
  return { result, calls }
}

const download = (token: string, id: string) =>
  callLoader(filesRoute, `/support/t/${token}/files/${id}`, { params: { token, id } })

async function storedFile(name: string, content: string, contentType = 'text/plain') {
  const stored = await storeStream(Readable.from([Buffer.from(content)]), 1_000_000)
  return { filename: name, contentType, size: stored.size, sha256: stored.sha256 }
}

async function messageCount(ticketId: string) {
  const [row] = await getDb().select({ n: count() }).from(messages).where(eq(messages.ticketId, ticketId))
  return row.n
}

describe('the private link', () => {
  it('shows the public thread: agent replies by first name only, never internal notes', async () => {
    const member = await agentNamed('Morgan Quill Smith')
    const ticket = await ticketWithLink(member)
    await replyToTicket(asMember(member), ticket.number, {
      kind: 'note',
      body: 'INTERNAL: this customer is on the watch list',
      files: [await storedFile('internal.txt', 'secret note file')],
    })
    await replyToTicket(asMember(member), ticket.number, { kind: 'reply', body: 'It ships tomorrow.' })
    const result = await view(ticket.token)
    expect(result.status).toBe(200)
    const serialized = JSON.stringify(result.data)
    expect(serialized).not.toContain('INTERNAL')
    expect(serialized).not.toContain('internal.txt')
    expect(serialized).not.toContain('Smith')
    expect(serialized).not.toContain(member.user.email)
    expect(result.data.thread.map((m: { from: string; author: string }) => [m.from, m.author])).toEqual([
      ['customer', 'Casey Customer'],
      ['support', 'Morgan'],
    ])
  })

  it('lets the customer reply, which reopens a resolved ticket and is published to agents', async () => {
    const member = await createMember()
    const ticket = await ticketWithLink(member)
    await updateTickets({ workspaceId: member.workspace.id, userId: member.user.id }, [ticket.ticketId], {
      status: 'resolved',
    })
    const { result, calls } = await reply(ticket.token, { message: 'It still has not arrived.' }, [
      file('photo.png', 'png-bytes', 'image/png'),
    ])
    expect(result.status).toBe(302)
    expect(result.location).toBe(`/support/t/${ticket.token}?replied`)
    expect(calls.published?.map((e) => e.type)).toEqual(['message.created', 'ticket.updated'])
    const [row] = await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId))
    expect(row.status).toBe('open')
    expect(row.resolvedAt).toBeNull()
    const after = await callLoader(linkRoute, `/support/t/${ticket.token}?replied`, {
      params: { token: ticket.token },
    })
    expect(after.data.replied).toBe(true)
    expect(after.data.ticket.status).toBe('open')
    const last = after.data.thread.at(-1)
    expect(last).toMatchObject({ from: 'customer', bodyText: 'It still has not arrived.' })
    expect(last.attachments[0]).toMatchObject({ filename: 'photo.png' })
  })

  it('refuses an empty, oversized or executable reply with a field error and writes nothing', async () => {
    const member = await createMember()
    const ticket = await ticketWithLink(member)
    const cases: Array<[Record<string, string>, string, File[]]> = [
      [{ message: '  ' }, 'message', []],
      [{ message: 'x'.repeat(100_001) }, 'message', []],
      [{ message: 'see attached' }, 'files', [file('run.bat', 'echo hi')]],
    ]
    for (const [fields, field, files] of cases) {
      const { result, calls } = await reply(ticket.token, fields, files)
      expect(result.status).toBe(400)
      expect(result.data.result.error[field]?.length).toBeGreaterThan(0)
      expect(calls.published).toEqual([])
    }
    expect(await messageCount(ticket.ticketId)).toBe(1)
  })

  it('lets at most 20 of 60 parallel replies through one link, refusing the rest with 429', async () => {
    const member = await createMember()
    const ticket = await ticketWithLink(member)
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => reply(ticket.token, { message: `Hello again ${i}` })),
    )
    const statuses = results.map(({ result }) => result.status)
    expect(statuses.filter((s) => s === 302)).toHaveLength(20)
    expect(statuses.filter((s) => s === 429)).toHaveLength(40)
    const refused = results.find(({ result }) => result.status === 429)!
    expect(refused.result.data.result.initialValue.message).toMatch(/^Hello again \d+$/)
    expect(refused.calls.published).toEqual([])
    // The ticket's first message plus the 20 replies that got a slot.
    expect(await messageCount(ticket.ticketId)).toBe(21)
  })

  it('counts the 20 per ticket: the links of its other emails share them', async () => {
    // Every email we send the customer (the confirmation, each agent reply) carries a new link,
    // and earlier links keep working: counted per link, three links were 60 replies.
    const member = await createMember()
    const ticket = await ticketWithLink(member)
    const tokens = [ticket.token]
    for (let i = 0; i < 2; i++) {
      const token = newToken()
      await getDb()
        .insert(customerLinks)
        .values({
          workspaceId: member.workspace.id,
          ticketId: ticket.ticketId,
          tokenHash: hashToken(token),
          expiresAt: new Date(Date.now() + 60 * 60 * 1000),
        })
      tokens.push(token)
    }
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => reply(tokens[i % 3]!, { message: `Flood ${i}` })),
    )
    const statuses = results.map(({ result }) => result.status)
    expect(statuses.filter((s) => s === 302)).toHaveLength(20)
    expect(statuses.filter((s) => s === 429)).toHaveLength(40)
    expect(await messageCount(ticket.ticketId)).toBe(21)
    // Another ticket has its own 20.
    const other = await ticketWithLink(member)
    expect((await reply(other.token, { message: 'Mine' })).result.status).toBe(302)
  })

  it('is a 404 once the link has expired', async () => {
    const member = await createMember()
    const ticket = await ticketWithLink(member)
    await getDb()
      .update(customerLinks)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(customerLinks.tokenHash, hashToken(ticket.token)))
    const result = await view(ticket.token)
    expect(result.status).toBe(404)
    expect(result.data).toBe('This link is not valid or has expired')
    const { result: posted } = await reply(ticket.token, { message: 'Anyone?' })
    expect(posted.status).toBe(404)
    expect(await messageCount(ticket.ticketId)).toBe(1)
  })

  it.each([
    ['a 5000-character token', 'a'.repeat(5000)],
    ['a short token', 'abc'],
    ['an unknown well-formed token', 'A'.repeat(43)],
    ['query syntax characters', "x'; drop table tickets; --&:*\\"],
    ['a NUL byte and markup', `\u0000<script>alert(1)</script>${'z'.repeat(30)}`],
  ])('is a 404, never a 500, for %s', async (_label, token) => {
    expect((await view(token)).status).toBe(404)
    expect((await reply(token, { message: 'hi' })).result.status).toBe(404)
    expect((await download(token, '00000000-0000-0000-0000-000000000000')).status).toBe(404)
  })
})

describe('customer downloads', () => {
  it('serves a public file of the ticket with safe headers, and images inline', async () => {
    const member = await createMember()
    const ticket = await ticketWithLink(member)
    await reply(ticket.token, { message: 'Files attached' }, [
      file('notes.html', '<script>alert(1)</script>', 'text/html'),
      file('drawing.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>', 'image/svg+xml'),
      file('photo.png', 'png-bytes', 'image/png'),
    ])
    const page = await view(ticket.token)
    const files: Array<{ id: string; filename: string }> = page.data.thread.at(-1).attachments
    const byName = Object.fromEntries(files.map((f) => [f.filename, f.id]))

    for (const name of ['notes.html', 'drawing.svg']) {
      const result = await download(ticket.token, byName[name])
      expect(result.status).toBe(200)
      expect(result.headers.get('content-disposition')).toMatch(/^attachment; filename="/)
      expect(result.headers.get('x-content-type-options')).toBe('nosniff')
      expect(result.headers.get('content-security-policy')).toMatch(/^sandbox/)
    }
    const image = await download(ticket.token, byName['photo.png'])
    expect(image.status).toBe(200)
    expect(image.data).toBe('png-bytes')
    expect(image.headers.get('content-type')).toBe('image/png')
    expect(image.headers.get('content-disposition')).toMatch(/^inline;/)
    expect(image.headers.get('content-security-policy')).toMatch(/^sandbox/)
  })

  it("is a 404 for another ticket's file, a note's file, and a malformed id", async () => {
    const member = await createMember()
    const mine = await ticketWithLink(member)
    const other = await ticketWithLink(member)
    await reply(other.token, { message: 'Other ticket file' }, [file('other.txt', 'not yours')])
    const [otherFile] = await getDb()
      .select({ id: attachments.id })
      .from(attachments)
      .innerJoin(messages, eq(messages.id, attachments.messageId))
      .where(eq(messages.ticketId, other.ticketId))
    expect((await download(other.token, otherFile.id)).status).toBe(200)
    expect((await download(mine.token, otherFile.id)).status).toBe(404)

    await replyToTicket(asMember(member), mine.number, {
      kind: 'note',
      body: 'internal',
      files: [await storedFile('internal.txt', 'note file')],
    })
    const [noteFile] = await getDb()
      .select({ id: attachments.id })
      .from(attachments)
      .innerJoin(messages, eq(messages.id, attachments.messageId))
      .where(eq(messages.ticketId, mine.ticketId))
    expect((await download(mine.token, noteFile.id)).status).toBe(404)
    expect((await download(mine.token, 'not-a-uuid')).status).toBe(404)
  })

  it("is a 404 for a reply's file while the reply is in its undo window, for the customer and teammates", async () => {
    const member = await createMember()
    const teammate = await createMember('agent', member.workspace)
    const mine = await ticketWithLink(member)
    await replyToTicket(asMember(member), mine.number, {
      kind: 'reply',
      body: 'Here is the invoice',
      files: [await storedFile('invoice.txt', 'held file')],
      undoable: true,
    })
    const [held] = await getDb()
      .select({ id: attachments.id, messageId: messages.id, heldUntil: messages.heldUntil })
      .from(attachments)
      .innerJoin(messages, eq(messages.id, attachments.messageId))
      .where(eq(messages.ticketId, mine.ticketId))
    expect(held.heldUntil).not.toBeNull()
    const agentDownload = (who: TestMember) =>
      callLoader(agentFileRoute, `/w/${who.workspace.slug}/attachments/${held.id}`, {
        cookie: who.cookie,
        params: { slug: who.workspace.slug, id: held.id },
      })
    expect((await download(mine.token, held.id)).status).toBe(404)
    expect((await agentDownload(teammate)).status).toBe(404)
    expect((await agentDownload(member)).status).toBe(200)

    // Released (its delay passed): the customer's and everyone's.
    await getDb().update(messages).set({ heldUntil: null }).where(eq(messages.id, held.messageId))
    const released = await download(mine.token, held.id)
    expect(released.status).toBe(200)
    expect(released.data).toBe('held file')
    expect((await agentDownload(teammate)).status).toBe(200)
  })
})

describe('the same reply posted twice', () => {
  it('ten identical posts at once make one message; a different text, or the same one a minute later, is new', async () => {
    const member = await createMember()
    const ticket = await ticketWithLink(member)
    const before = await messageCount(ticket.ticketId)
    const posts = await Promise.all(
      Array.from({ length: 10 }, () => reply(ticket.token, { message: 'double submit from the customer' })),
    )
    expect(posts.map((p) => p.result.status)).toEqual(Array(10).fill(302))
    expect(await messageCount(ticket.ticketId)).toBe(before + 1)
    // Only the post that wrote it announced it.
    expect(posts.flatMap((p) => p.calls.published).filter((e) => e?.type === 'message.created')).toHaveLength(
      1,
    )

    expect((await reply(ticket.token, { message: 'a second, different reply' })).result.status).toBe(302)
    expect(await messageCount(ticket.ticketId)).toBe(before + 2)
    // The same short answer again after something new on the ticket is an answer, not a copy.
    expect((await reply(ticket.token, { message: 'Yes' })).result.status).toBe(302)
    await replyToTicket(asMember(member), ticket.number, {
      body: 'And the blue one too?',
      kind: 'reply',
    } as never)
    expect((await reply(ticket.token, { message: 'Yes' })).result.status).toBe(302)
    expect(await messageCount(ticket.ticketId)).toBe(before + 5)
    // The first copy is over a minute old: the same text again is a new message.
    await getDb()
      .update(messages)
      .set({ createdAt: new Date(Date.now() - 61_000) })
      .where(eq(messages.bodyText, 'double submit from the customer'))
    expect((await reply(ticket.token, { message: 'double submit from the customer' })).result.status).toBe(
      302,
    )
    expect(await messageCount(ticket.ticketId)).toBe(before + 6)
  })
})

describe('a long thread on the private link', () => {
  // Probed 2026-12-05: the page rendered every public message; a 30 MB thread took 5.9 s and
  // 430 MB for one view, and ten views at once stalled the event loop for 2 s (503s).
  /** The customer's first message and 59 public replies after it (60 shown to the customer), with
   * notes, a held reply and a non-participant's email among them; two messages share each second. */
  async function longThread(member: TestMember) {
    const ticket = await ticketWithLink(member)
    const start = Date.now() + 1_000
    const at = (i: number) => new Date(start + Math.floor(i / 2) * 1_000)
    const base = { workspaceId: member.workspace.id, ticketId: ticket.ticketId, authorUserId: member.user.id }
    for (let i = 2; i <= 60; i++) {
      await getDb()
        .insert(messages)
        .values({ ...base, kind: 'reply', bodyText: `Public message ${i}.`, createdAt: at(i) })
      if (i % 10 === 0) {
        await getDb()
          .insert(messages)
          .values([
            { ...base, kind: 'note', bodyText: `INTERNAL note ${i}`, createdAt: at(i) },
            {
              ...base,
              kind: 'reply',
              bodyText: `HELD reply ${i}`,
              createdAt: at(i),
              heldUntil: new Date(start + 3_600_000),
            },
            {
              ...base,
              authorUserId: null,
              kind: 'reply',
              bodyText: `STRANGER email ${i}`,
              createdAt: at(i),
              notFromParticipant: true,
            },
          ])
      }
    }
    return ticket
  }
  const page = (token: string, before?: string) =>
    callLoader(linkRoute, `/support/t/${token}${before ? `?before=${before}` : ''}`, { params: { token } })
  const bodies = (data: { thread: Array<{ bodyText: string }> }) => data.thread.map((m) => m.bodyText)

  it('shows the newest 20 messages and a link to the earlier ones, page by page, reading a page at a time', async () => {
    const member = await createMember()
    const ticket = await longThread(member)

    // In the thread's order: by time, then id (two messages share each second).
    const thread = (
      await getDb()
        .select({ bodyText: messages.bodyText })
        .from(messages)
        .where(
          and(
            eq(messages.ticketId, ticket.ticketId),
            eq(messages.kind, 'reply'),
            isNull(messages.heldUntil),
            eq(messages.notFromParticipant, false),
          ),
        )
        .orderBy(asc(messages.createdAt), asc(messages.id))
    ).map((m) => m.bodyText)
    expect(thread).toHaveLength(60)

    const newest = await rowsReturnedBy(() => page(ticket.token))
    expect(newest.value.status).toBe(200)
    expect(bodies(newest.value.data)).toEqual(thread.slice(40))
    expect(newest.value.data.earlierMessages).toBe(40)
    expect(newest.value.data.earlierPage).toBe(false)
    // The ticket, the page's 20 messages and a count: not the thread's 72 messages.
    expect(newest.rows).toBeLessThan(30)

    const second = await rowsReturnedBy(() => page(ticket.token, newest.value.data.thread[0].id))
    expect(bodies(second.value.data)).toEqual(thread.slice(20, 40))
    expect(second.value.data.earlierMessages).toBe(20)
    expect(second.value.data.earlierPage).toBe(true)
    expect(second.rows).toBeLessThan(30)

    const first = await page(ticket.token, second.value.data.thread[0].id)
    expect(bodies(first.data)).toEqual(thread.slice(0, 20))
    expect(thread[0]).toBe('I ordered a blue kettle two weeks ago and it still has not arrived.')
    expect(first.data.earlierMessages).toBe(0)

    const shown = JSON.stringify([newest.value.data, second.value.data, first.data])
    expect(shown).not.toMatch(/INTERNAL|HELD|STRANGER/)
  })

  it('renders the link to earlier messages as a plain anchor, and following it renders them (no JavaScript)', async () => {
    const member = await createMember()
    const ticket = await longThread(member)
    const server = await startTestServer({ sockets: false })
    try {
      const newest = await fetch(`${server.url}/support/t/${ticket.token}`)
      expect(newest.status).toBe(200)
      const html = await newest.text()
      expect(html).toContain('Public message 60.')
      expect(html).not.toContain('Public message 2.')
      const link = html.match(/<a [^>]*href="([^"]*\?before=[^"]*)"[^>]*>Show 40 earlier messages<\/a>/)
      expect(link).not.toBeNull()
      const earlier = await fetch(
        new URL(link![1].replaceAll('&amp;', '&'), `${server.url}/support/t/${ticket.token}`),
      )
      const earlierHtml = await earlier.text()
      expect(earlier.status).toBe(200)
      expect(earlierHtml).toContain('Show 20 earlier messages')
      expect(earlierHtml).toContain('Show the latest messages')
      expect(earlierHtml).not.toContain('Public message 60.')
      // The rendered list (the hydration data repeats the bodies).
      const list = earlierHtml.match(/<ol [^>]*aria-label="Conversation"[^>]*>[\s\S]*?<\/ol>/)![0]
      expect(list.match(/Public message \d+\./g)).toHaveLength(20)
    } finally {
      await server.close()
    }
  })

  it("shows the newest page for another ticket's message, a note or a malformed id as the cursor, nothing of the other ticket", async () => {
    const member = await createMember()
    const ticket = await longThread(member)
    const other = await ticketWithLink(member)
    await replyToTicket(asMember(member), other.number, { kind: 'reply', body: 'OTHER ticket reply.' })
    const [otherMessage] = await getDb()
      .select({ id: messages.id })
      .from(messages)
      .where(eq(messages.ticketId, other.ticketId))
      .orderBy(desc(messages.createdAt))
      .limit(1)
    const [note] = await getDb()
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.ticketId, ticket.ticketId), eq(messages.kind, 'note')))
      .limit(1)
    const newest = bodies((await page(ticket.token)).data)
    expect(newest).toHaveLength(20)
    for (const cursor of [otherMessage.id, note.id, 'not-a-uuid', '%00']) {
      const result = await page(ticket.token, cursor)
      expect(result.status, cursor).toBe(200)
      expect(bodies(result.data), cursor).toEqual(newest)
      expect(JSON.stringify(result.data), cursor).not.toContain('OTHER')
    }
    // The other ticket's own link with this ticket's message as the cursor shows only its own.
    const [mine] = await getDb()
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.ticketId, ticket.ticketId), eq(messages.bodyText, 'Public message 50.')))
    const crossed = await page(other.token, mine.id)
    expect(bodies(crossed.data)).toEqual([
      'I ordered a blue kettle two weeks ago and it still has not arrived.',
      'OTHER ticket reply.',
    ])
    expect(crossed.data.earlierMessages).toBe(0)
  })
})
