import type { Socket } from 'socket.io-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startQueue } from '#app/jobs/queue.server.ts'
import { realtime } from '#app/realtime/hub.server.ts'
import {
  LIVE_SOCKET_FIELD,
  MAX_SOCKETS_PER_USER,
  missedWhileConnecting,
  roleAtReady,
  type PresencePayload,
} from '#app/realtime/protocol.ts'
import { updateTickets } from '#app/domain/tickets.server.ts'
import { customerReply } from '#app/domain/messages.server.ts'
import { loadTicketPage } from '#app/domain/ticket-page.server.ts'
import { changedSince } from '#app/components/live/use-presence.ts'
import { changeUndoSendDelay } from '#app/domain/undo-send.server.ts'
import { changeMemberRole, removeMember } from '#app/domain/workspaces.server.ts'
import { addMember, asMember, createMember, createTicketFor, signIn } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import {
  closeSockets,
  connectSocket,
  connectSocketReady,
  emitWithAck,
  nextEvent,
  openSocket,
} from '#tests/helpers/sockets.ts'
import { waitFor } from '#tests/helpers/wait.ts'

let server: Awaited<ReturnType<typeof startTestServer>>
/** When the server had started (its change log is complete from then on). */
let startedBy = 0

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
  server = await startTestServer()
  startedBy = Date.now()
})
afterEach(closeSockets)
afterAll(async () => {
  await server.close()
})

const connect = (cookie: string) => connectSocket(server.url, cookie)
const emit = emitWithAck
/** A `ticket:join`'s answer: when the ticket last changed (empty when refused). */
const joinedAt = async (socket: Socket, ticketId: string) => {
  const answer = (await emit(socket, 'ticket:join', { ticketId })) as { ok: boolean; changedAt?: string }
  return answer.changedAt ?? ''
}
const next = nextEvent

/**
 * Whether the server has `socket` in the workspace's room, asked through the protocol itself:
 * `workspace:viewing` answers `Not found` for a workspace room the socket is not in.
 */
async function inWorkspaceRoom(socket: Socket, workspaceId: string) {
  const answer = await emit(socket, 'workspace:viewing', { workspaceId })
  if (answer.ok) return true
  if (answer.error === 'Not found') return false
  throw new Error(`workspace:viewing answered ${answer.error}`)
}

describe('ticket rooms', () => {
  it('lets a member join a ticket of their workspace and refuses one of another workspace', async () => {
    const a = await createMember('agent')
    const b = await createMember('agent')
    const ticketA = await createTicketFor(a)
    const ticketB = await createTicketFor(b)
    const socket = await connect(a.cookie)
    expect(await emit(socket, 'ticket:join', { ticketId: ticketA.ticketId })).toEqual({
      ok: true,
      changedAt: expect.any(String),
    })
    expect(await emit(socket, 'ticket:join', { ticketId: ticketB.ticketId })).toEqual({
      ok: false,
      error: 'Not found',
    })
  })

  it('answers malformed payloads with an error ack and keeps the connection healthy', async () => {
    const a = await createMember('agent')
    const ticket = await createTicketFor(a)
    const socket = await connect(a.cookie)
    for (const payload of [null, 'x', { ticketId: 'not-a-uuid' }, { ticketId: 42 }, [1, 2]]) {
      expect(await emit(socket, 'ticket:join', payload)).toEqual({ ok: false, error: 'Invalid payload' })
    }
    expect(await emit(socket, 'typing', { ticketId: ticket.ticketId, kind: 'shouting' })).toEqual({
      ok: false,
      error: 'Invalid payload',
    })
    expect(socket.connected).toBe(true)
    expect(await emit(socket, 'ticket:join', { ticketId: ticket.ticketId })).toMatchObject({ ok: true })
  })

  it('answers a join with when the ticket last changed, as its page shows it: a change made while the page loaded is seen', async () => {
    const a = await createMember('agent')
    const ticket = await createTicketFor(a)
    const page = await loadTicketPage(asMember(a), ticket.number, { language: 'en' })
    const socket = await connect(a.cookie)
    const first = await joinedAt(socket, ticket.ticketId)
    expect(first).toBe(page.ticket.changedAt)
    expect(changedSince(page.ticket.changedAt, first)).toBe(false)
    // The customer writes after the page was read and before its socket joined: no event reaches
    // the page, but the join's answer differs, so it reloads.
    await customerReply({ ticketId: ticket.ticketId, workspaceId: a.workspace.id }, 'Are you there?')
    expect(changedSince(page.ticket.changedAt, await joinedAt(socket, ticket.ticketId))).toBe(true)
    // A field change too.
    const reread = await loadTicketPage(asMember(a), ticket.number, { language: 'en' })
    await updateTickets(asMember(a), [ticket.ticketId], { status: 'pending' })
    expect(changedSince(reread.ticket.changedAt, await joinedAt(socket, ticket.ticketId))).toBe(true)
  })

  it('never delivers another workspace’s events', async () => {
    const a = await createMember('agent')
    const b = await createMember('agent')
    const socketA = await connect(a.cookie)
    const received: unknown[] = []
    socketA.on('ticket-event', (e) => received.push(e))
    const ticketB = await createTicketFor(b)
    realtime().publish(ticketB.events)
    const ticketA = await createTicketFor(a)
    realtime().publish(ticketA.events)
    await next(socketA, 'ticket-event', (e: { ticketId: string }) => e.ticketId === ticketA.ticketId).catch(
      () => {},
    )
    expect(received).toEqual(ticketA.events)
  })
})

describe('a page whose socket connects after its data was read', () => {
  it('is told at `ready` that an event of its workspace went by before the socket was in the room', async () => {
    const a = await createMember('agent')
    const b = await createMember('agent')
    const before = await connectSocketReady(server.url, a.cookie)
    // The page reads its data, then a ticket is created before the page's socket has connected.
    const readAt = Date.now()
    const ticket = await createTicketFor(a)
    realtime().publish(ticket.events)
    const { ready } = await connectSocketReady(server.url, a.cookie)
    expect(ready.lastChangeAt).toBeGreaterThanOrEqual(readAt)
    expect(missedWhileConnecting(ready, readAt)).toBe(true)
    // Another workspace's page saw nothing of it.
    const other = await connectSocketReady(server.url, b.cookie)
    expect(other.ready.lastChangeAt).toBeNull()
    expect(missedWhileConnecting(other.ready, Math.max(readAt, other.ready.knownSince + 5_000))).toBe(false)
    // Before the event, the same workspace had nothing to miss, and the log covers the whole
    // time since the server started (a quiet instance's first page has nothing to reload).
    expect(before.ready.lastChangeAt === null || before.ready.lastChangeAt < readAt).toBe(true)
    expect(before.ready.knownSince).toBeLessThanOrEqual(startedBy)
  })

  it('is told about a notification to its user (the bell) the same way', async () => {
    const owner = await createMember('owner')
    const ticket = await createTicketFor(owner)
    const readAt = Date.now()
    realtime().publish([
      {
        type: 'notification.created',
        workspaceId: owner.workspace.id,
        userId: owner.user.id,
        ticketId: ticket.ticketId,
        number: ticket.number,
        kind: 'assigned',
        at: new Date().toISOString(),
      },
    ])
    const { ready } = await connectSocketReady(server.url, owner.cookie)
    expect(ready.lastChangeAt).toBeGreaterThanOrEqual(readAt)
  })
})

describe('a tab that was not connected when its role changed or its member was removed', () => {
  it('learns its role at `ready`, as the live event would have told it, and that it was removed', async () => {
    const owner = await createMember('owner')
    const admin = await createMember('admin', owner.workspace)
    const other = await createMember('owner')
    await addMember(other.workspace.id, admin.user.id, 'agent')
    const { ready } = await connectSocketReady(server.url, admin.cookie)
    expect(ready.roles).toEqual({ [owner.workspace.id]: 'admin', [other.workspace.id]: 'agent' })
    expect(roleAtReady(ready, owner.workspace.id, 'admin')).toBeNull()

    // Demoted while the admin's tab had no socket: no live event reached it.
    await changeMemberRole(asMember(owner), admin.membershipId, 'agent')
    const demoted = await connectSocketReady(server.url, admin.cookie)
    expect(demoted.ready.roles?.[owner.workspace.id]).toBe('agent')
    expect(roleAtReady(demoted.ready, owner.workspace.id, 'admin')).toEqual({ kind: 'role', role: 'agent' })

    await removeMember(asMember(owner), admin.membershipId)
    const removed = await connectSocketReady(server.url, admin.cookie)
    expect(removed.ready.roles).toEqual({ [other.workspace.id]: 'agent' })
    expect(roleAtReady(removed.ready, owner.workspace.id, 'agent')).toEqual({ kind: 'removed' })
    // A tab of their other workspace has nothing to follow.
    expect(roleAtReady(removed.ready, other.workspace.id, 'agent')).toBeNull()
    // From an instance of an older build, which sends no roles: nothing to conclude.
    expect(roleAtReady({}, owner.workspace.id, 'admin')).toBeNull()
  })
})

describe('one agent in two tabs', () => {
  it('delivers a reply posted in one tab to the same agent’s other tab, and not back to the posting tab', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const postingTab = await connect(agent.cookie)
    const otherTab = await connect(agent.cookie)
    const isReply = (e: { type: string; ticketId: string }) =>
      e.type === 'message.created' && e.ticketId === ticket.ticketId
    const otherSees = next(otherTab, 'ticket-event', isReply)
    const postingReceived: Array<{ type: string; ticketId: string }> = []
    postingTab.on('ticket-event', (e) => postingReceived.push(e))

    // Undo send off for this agent: the reply is announced when it is posted, not after a delay.
    await changeUndoSendDelay(agent.user.id, 0)
    const form = new FormData()
    form.append('intent', 'reply')
    form.append('kind', 'reply')
    form.append('body', 'Sent from the first tab')
    form.append(LIVE_SOCKET_FIELD, postingTab.id!)
    const response = await fetch(`${server.url}/w/${agent.workspace.slug}/tickets/${ticket.number}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: agent.cookie, origin: server.url },
      body: form,
    })
    expect(response.status).toBe(302)
    expect(await otherSees).toMatchObject({ type: 'message.created', actorUserId: agent.user.id })
    // Events reach a socket in order: once a later event arrives, the reply's would have.
    const later = await createTicketFor(agent)
    const laterSeen = next<{ ticketId: string }>(
      postingTab,
      'ticket-event',
      (e) => e.ticketId === later.ticketId,
    )
    realtime().publish(later.events)
    await laterSeen
    expect(postingReceived.filter(isReply)).toEqual([])
  })

  it('skips only a socket id: a room name given as the socket to skip is ignored', async () => {
    const agent = await createMember('agent')
    const socket = await connect(agent.cookie)
    const ticket = await createTicketFor(agent)
    const seen = next<{ ticketId: string }>(socket, 'ticket-event', (e) => e.ticketId === ticket.ticketId)
    realtime().publish(ticket.events, { exceptSocketId: `workspace:${agent.workspace.id}` })
    expect((await seen).ticketId).toBe(ticket.ticketId)
  })
})

describe('presence', () => {
  it('shows who is viewing and who is typing, and forgets them when they leave', async () => {
    const dana = await createMember('agent')
    const sam = await createMember('agent', dana.workspace)
    const ticket = await createTicketFor(dana)
    const danaSocket = await connect(dana.cookie)
    await emit(danaSocket, 'ticket:join', { ticketId: ticket.ticketId })
    const samSocket = await connect(sam.cookie)
    const bothViewing = next<PresencePayload>(danaSocket, 'presence', (p) => p.viewers.length === 2)
    await emit(samSocket, 'ticket:join', { ticketId: ticket.ticketId })
    expect((await bothViewing).viewers.map((v) => v.userId).sort()).toEqual(
      [dana.user.id, sam.user.id].sort(),
    )

    const typing = next<PresencePayload>(danaSocket, 'presence', (p) =>
      p.viewers.some((v) => v.userId === sam.user.id && v.typing === 'reply'),
    )
    await emit(samSocket, 'typing', { ticketId: ticket.ticketId, kind: 'reply' })
    await typing

    const gone = next<PresencePayload>(danaSocket, 'presence', (p) => p.viewers.length === 1)
    samSocket.disconnect()
    expect((await gone).viewers.map((v) => v.userId)).toEqual([dana.user.id])
  })

  it('answers the snapshot asked for at connect, before the server has put the socket in its rooms', async () => {
    const dana = await createMember('agent')
    const sam = await createMember('agent', dana.workspace)
    const ticket = await createTicketFor(dana)
    const samSocket = await connect(sam.cookie)
    await emit(samSocket, 'ticket:join', { ticketId: ticket.ticketId })
    // As the queue asks: on 'connect', which comes before the server's 'ready' (the rooms are
    // joined after a database read). It was answered Not found, and the queue showed no marker
    // until the next viewing event.
    const queueSocket = openSocket(server.url, { cookie: dana.cookie })
    const snapshot = await new Promise((resolve) =>
      queueSocket.once('connect', () =>
        resolve(emit(queueSocket, 'workspace:viewing', { workspaceId: dana.workspace.id })),
      ),
    )
    expect(snapshot).toEqual({ ok: true, viewing: { [ticket.ticketId]: [sam.user.name] } })
  })

  it('marks viewed tickets for the queue: a snapshot on request and changes as agents come and go', async () => {
    const dana = await createMember('agent')
    const sam = await createMember('agent', dana.workspace)
    const outsider = await createMember('agent')
    const ticket = await createTicketFor(dana)
    const queueSocket = await connect(dana.cookie)
    const samSocket = await connect(sam.cookie)
    const viewingSam = next<{ ticketId: string; viewers: string[] }>(queueSocket, 'viewing', (v) =>
      v.viewers.includes(sam.user.name),
    )
    await emit(samSocket, 'ticket:join', { ticketId: ticket.ticketId })
    expect((await viewingSam).ticketId).toBe(ticket.ticketId)
    const snapshot = (await queueSocket
      .timeout(5000)
      .emitWithAck('workspace:viewing', { workspaceId: dana.workspace.id })) as {
      ok: boolean
      viewing: Record<string, string[]>
    }
    expect(snapshot).toEqual({ ok: true, viewing: { [ticket.ticketId]: [sam.user.name] } })
    // Another workspace's viewers are not for outsiders to see.
    const outsiderSocket = await connect(outsider.cookie)
    expect(await emit(outsiderSocket, 'workspace:viewing', { workspaceId: dana.workspace.id })).toEqual({
      ok: false,
      error: 'Not found',
    })
    const left = next<{ ticketId: string; viewers: string[] }>(
      queueSocket,
      'viewing',
      (v) => v.viewers.length === 0,
    )
    expect(await emit(samSocket, 'ticket:leave', { ticketId: ticket.ticketId })).toEqual({ ok: true })
    expect((await left).ticketId).toBe(ticket.ticketId)
    expect(await emit(samSocket, 'typing', { ticketId: ticket.ticketId, kind: 'reply' })).toEqual({
      ok: false,
      error: 'Join the ticket first',
    })
  })

  it('rate limits a client flooding typing events without affecting others', async () => {
    const flooder = await createMember('agent')
    const other = await createMember('agent', flooder.workspace)
    const ticket = await createTicketFor(flooder)
    const flood = await connect(flooder.cookie)
    const calm = await connect(other.cookie)
    await emit(flood, 'ticket:join', { ticketId: ticket.ticketId })
    await emit(calm, 'ticket:join', { ticketId: ticket.ticketId })
    const results = await Promise.all(
      Array.from({ length: 40 }, () => emit(flood, 'typing', { ticketId: ticket.ticketId, kind: 'reply' })),
    )
    expect(results.filter((r) => r.error === 'Too many events').length).toBeGreaterThan(20)
    expect(await emit(calm, 'typing', { ticketId: ticket.ticketId, kind: 'note' })).toEqual({ ok: true })
    expect(flood.connected).toBe(true)
  })
})

describe('socket cap', () => {
  it(`keeps at most ${MAX_SOCKETS_PER_USER} of 1,000 sockets from one user, closing the oldest`, async () => {
    const member = await createMember('agent')
    const first = await connect(member.cookie)
    const firstClosed = new Promise<void>((resolve) => first.once('disconnect', () => resolve()))
    const others: Socket[] = []
    // 1,000 sockets from one user, opened in waves of 50.
    for (let wave = 0; wave < 20; wave++) {
      const batch = await Promise.allSettled(Array.from({ length: 50 }, () => connect(member.cookie)))
      for (const result of batch) if (result.status === 'fulfilled') others.push(result.value)
    }
    await firstClosed
    const newest = await connect(member.cookie)
    // The cap closes the oldest sockets asynchronously: wait until the count settles at the cap.
    const alive = () => [first, ...others, newest].filter((s) => s.connected)
    await waitFor(() => alive().length === MAX_SOCKETS_PER_USER)
    expect(newest.connected).toBe(true)
  })
})

describe('session expiry', () => {
  it('closes a socket when its session expires without renewal', async () => {
    const { getDb } = await import('#db/client.ts')
    const { sessions } = await import('#db/schema.ts')
    const { eq } = await import('drizzle-orm')
    const member = await createMember('agent')
    await getDb()
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() + 1500) })
      .where(eq(sessions.id, member.sessionId))
    const socket = await connect(member.cookie)
    const closed = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)))
    expect(await closed).toBe('io server disconnect')
  })
})

describe('membership changes', () => {
  it('lets open sockets follow a workspace the user creates or joins while connected', async () => {
    const member = await createMember('agent')
    const socket = await connect(member.cookie)
    const other = await createMember('owner')
    realtime().joinWorkspace(member.user.id, other.workspace.id)
    await waitFor(() => inWorkspaceRoom(socket, other.workspace.id))
    const ticket = await createTicketFor(other)
    const seen = next<{ ticketId: string }>(socket, 'ticket-event', (e) => e.ticketId === ticket.ticketId)
    realtime().publish(ticket.events)
    expect((await seen).ticketId).toBe(ticket.ticketId)
  })

  it('stops sending a workspace’s events to a member removed from it', async () => {
    const owner = await createMember('owner')
    const agent = await createMember('agent', owner.workspace)
    const socket = await connect(agent.cookie)
    const received: unknown[] = []
    socket.on('ticket-event', (e) => received.push(e))
    expect(await inWorkspaceRoom(socket, owner.workspace.id)).toBe(true)
    realtime().removeFromWorkspace(agent.user.id, owner.workspace.id)
    await waitFor(async () => !(await inWorkspaceRoom(socket, owner.workspace.id)))
    const ownerSocket = await connect((await signIn(owner.user.id)).cookie)
    const ownerSees = next(ownerSocket, 'ticket-event')
    const ticket = await createTicketFor(owner)
    realtime().publish(ticket.events)
    const change = await updateTickets(
      { workspaceId: owner.workspace.id, userId: owner.user.id },
      [ticket.ticketId],
      { priority: 'high' },
    )
    if (change.kind === 'updated') realtime().publish(change.events)
    await ownerSees
    // A marker to the removed agent's own room, sent after the workspace's events: the socket
    // still receives, and events reach a socket in order, so theirs would have come first.
    const marker = next<{ ticketId: string }>(socket, 'notification')
    realtime().publish([
      {
        type: 'notification.created',
        workspaceId: owner.workspace.id,
        userId: agent.user.id,
        ticketId: ticket.ticketId,
        number: ticket.number,
        kind: 'assigned',
        at: new Date().toISOString(),
      },
    ])
    expect((await marker).ticketId).toBe(ticket.ticketId)
    expect(received).toEqual([])
  })

  it('tells a removed member’s tabs that they lost the workspace, and takes them out of its viewers', async () => {
    const owner = await createMember('owner')
    const agent = await createMember('agent', owner.workspace)
    const elsewhere = await createMember('owner')
    await addMember(elsewhere.workspace.id, agent.user.id, 'agent')
    const ticket = await createTicketFor(owner)
    // The agent has the ticket open in one tab and the inbox in another; the owner views it too.
    const onTicket = await connect(agent.cookie)
    const onInbox = await connect(agent.cookie)
    expect(await inWorkspaceRoom(onTicket, elsewhere.workspace.id)).toBe(true)
    const ownerSocket = await connect(owner.cookie)
    await joinedAt(ownerSocket, ticket.ticketId)
    const bothView = next<PresencePayload>(ownerSocket, 'presence', (p) => p.viewers.length === 2)
    await joinedAt(onTicket, ticket.ticketId)
    await bothView
    // The owner's own tabs are not told anything.
    const ownerTold: unknown[] = []
    ownerSocket.on('workspace:removed', (p) => ownerTold.push(p))

    const toldTicket = next<{ workspaceId: string }>(onTicket, 'workspace:removed')
    const toldInbox = next<{ workspaceId: string }>(onInbox, 'workspace:removed')
    const ownerSeesAlone = next<PresencePayload>(
      ownerSocket,
      'presence',
      (p) => p.ticketId === ticket.ticketId && p.viewers.every((v) => v.userId === owner.user.id),
    )
    realtime().removeFromWorkspace(agent.user.id, owner.workspace.id)
    expect(await toldTicket).toEqual({ workspaceId: owner.workspace.id })
    expect(await toldInbox).toEqual({ workspaceId: owner.workspace.id })
    expect((await ownerSeesAlone).viewers.map((v) => v.userId)).toEqual([owner.user.id])
    expect(ownerTold).toEqual([])
    // Still a member elsewhere: that workspace's room keeps them.
    expect(await inWorkspaceRoom(onInbox, elsewhere.workspace.id)).toBe(true)
    expect(await inWorkspaceRoom(onInbox, owner.workspace.id)).toBe(false)
  })
})
