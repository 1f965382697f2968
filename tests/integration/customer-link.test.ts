import { Readable } from 'node:stream'
import { count, eq } from 'drizzle-orm'
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
import { file, multipartForm } from '#tests/helpers/multipart.ts'
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
