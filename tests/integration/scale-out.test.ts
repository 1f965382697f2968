import type { Socket } from 'socket.io-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  missedWhileConnecting,
  type PresencePayload,
  type ViewingPayload,
  type ViewingSnapshot,
} from '#app/realtime/protocol.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { startInstance, type Instance } from '#tests/helpers/instances.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import {
  closeSockets,
  connectSocket,
  connectSocketReady,
  emitWithAck,
  nextEvent,
} from '#tests/helpers/sockets.ts'
import { until, waitFor } from '#tests/helpers/wait.ts'

const same = (ids: string[] | undefined, expected: string[]) =>
  JSON.stringify(ids) === JSON.stringify([...expected].sort())

let a: Instance
let b: Instance
/** A third instance, started by a test while the others run. */
let c: Instance | undefined

beforeAll(async () => {
  ;[a, b] = await Promise.all([startInstance(testDatabaseUrl), startInstance(testDatabaseUrl)])
}, 60_000)
afterAll(async () => {
  closeSockets()
  await Promise.all([a?.stop(), b?.stop(), c?.stop()])
})

const connect = (instance: Instance, cookie: string) => connectSocket(instance.url, cookie)
const join = (socket: Socket, ticketId: string) =>
  socket.timeout(5000).emitWithAck('ticket:join', { ticketId })

/** A customer writes in through `instance`'s public support form (as a browser without JavaScript). */
function writeIn(instance: Instance, slug: string, fields: Record<string, string>) {
  return fetch(`${instance.url}/support/${slug}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: instance.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  })
}

/** The members page's form, posted through `instance` by `member` (as a browser without JavaScript). */
function postMembersPage(
  instance: Instance,
  member: { cookie: string; workspace: { slug: string } },
  fields: Record<string, string>,
) {
  return fetch(`${instance.url}/w/${member.workspace.slug}/settings/members`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      origin: instance.url,
      cookie: member.cookie,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(fields),
  })
}

/** The viewers' user ids in the latest `presence` `socket` received (none yet: undefined). */
function lastPresence(socket: Socket) {
  let ids: string[] | undefined
  socket.on('presence', (p: PresencePayload) => {
    ids = p.viewers.map((v) => v.userId).sort()
  })
  return () => ids
}

/**
 * Lets `socket` wait `ms` (plus the 6 s interval) for its server's next ping instead of the 4 s the
 * server asks for, for a test that pauses that server longer (engine.io-client's own field).
 */
function waitForPingsUpTo(socket: Socket, ms: number) {
  ;(socket.io.engine as unknown as { _pingTimeout: number })._pingTimeout = ms
}

/** Resolves right after `socket`'s next ping from its server: it then waits 10 s for another. */
const nextPing = (socket: Socket) => new Promise<void>((resolve) => socket.io.engine.once('ping', resolve))

/**
 * How long presence takes to put right by itself, with no event in the room: an instance hears
 * another within its 5 s heartbeat (one it has not heard for 10 s is dropped), checks which it
 * knows every second, and a recount that timed out (5 s) is tried again 2 s later.
 */
const SETTLES_WITHIN_MS = 20_000

/** Waits until each of `views` (lastPresence) shows exactly the users `ids`, SETTLES_WITHIN_MS at most. */
const allShow = (views: Array<() => string[] | undefined>, ids: string[]) =>
  until(
    () => views.map((view) => view()),
    (shown) => shown.every((viewers) => same(viewers, ids)),
    SETTLES_WITHIN_MS,
  )

describe('two app instances on one PostgreSQL', () => {
  it('share presence: an agent on instance A sees an agent who opened the same ticket on instance B', async () => {
    const dana = await createMember('agent')
    const sam = await createMember('agent', dana.workspace)
    const ticket = await createTicketFor(dana)
    const onA = await connect(a, dana.cookie)
    const onB = await connect(b, sam.cookie)
    expect(await onA.timeout(5000).emitWithAck('ticket:join', { ticketId: ticket.ticketId })).toMatchObject({
      ok: true,
    })
    const both = new Promise<PresencePayload>((resolve) =>
      onA.on('presence', (p: PresencePayload) => p.viewers.length === 2 && resolve(p)),
    )
    expect(await onB.timeout(5000).emitWithAck('ticket:join', { ticketId: ticket.ticketId })).toMatchObject({
      ok: true,
    })
    expect((await both).viewers.map((v) => v.name).sort()).toEqual([dana.user.name, sam.user.name].sort())
  })

  // With A and B only: a third instance heard from 10 s before the stall would be dropped by A when
  // it resumes, and that change recounts too.
  it('count the viewers again when a recount timed out on an instance that stalled', async () => {
    const dana = await createMember('agent')
    const sam = await createMember('agent', dana.workspace)
    const ticket = await createTicketFor(dana)
    const onA = await connect(a, dana.cookie)
    const seenOnA = lastPresence(onA)
    await nextPing(onA)
    // Each instance has just heard the other (Sam's socket on B asks every instance for his
    // sockets; Dana's join sends her presence), so neither drops the other during the stall.
    const onB = await connect(b, sam.cookie)
    const seenOnB = lastPresence(onB)
    expect(await join(onA, ticket.ticketId)).toMatchObject({ ok: true })
    await until(seenOnA, (ids) => same(ids, [dana.user.id]))
    a.process.kill('SIGSTOP')
    try {
      // B's recount for Sam's join asks A, which does not answer within fetchSockets' 5 s: it
      // fails, and presence sent nothing. A stalls 6.5 s, less than B's 10 s before dropping it
      // (which would recount too) and Dana's socket's 10 s after the ping.
      expect(await join(onB, ticket.ticketId)).toMatchObject({ ok: true })
      await new Promise((resolve) => setTimeout(resolve, 6_500))
    } finally {
      a.process.kill('SIGCONT')
    }
    await allShow([seenOnA, seenOnB], [dana.user.id, sam.user.id])
    expect(onA.connected).toBe(true)
  }, 60_000)

  it('show viewers already on an instance to a viewer on an instance that had not heard of it yet, with no other event', async () => {
    const dana = await createMember('agent')
    const sam = await createMember('agent', dana.workspace)
    const ticket = await createTicketFor(dana)
    const onA = await connect(a, dana.cookie)
    const seenOnA = lastPresence(onA)
    // A does not answer (a process paused: a long GC, a starved machine) while instance C starts
    // and Sam opens the ticket there: C has not heard of A (its first heartbeat went unanswered),
    // so the recount for Sam's join cannot count Dana. C's start can take longer than the 10 s a
    // browser waits for A's next ping on a loaded machine, so Dana's socket waits longer. Paused
    // after A has read her answer to a ping (her join, sent after it, is answered), or A would
    // close her socket for a missing answer when it resumes.
    waitForPingsUpTo(onA, 60_000)
    await nextPing(onA)
    expect(await join(onA, ticket.ticketId)).toMatchObject({ ok: true })
    await until(seenOnA, (ids) => same(ids, [dana.user.id]))
    a.process.kill('SIGSTOP')
    let seenOnC: () => string[] | undefined
    try {
      c = await startInstance(testDatabaseUrl)
      const onC = await connect(c, sam.cookie)
      seenOnC = lastPresence(onC)
      expect(await join(onC, ticket.ticketId)).toMatchObject({ ok: true })
      // C's count is done before A wakes (else A, hearing the question, could answer it anyway).
      await until(seenOnC, (ids) => same(ids, [sam.user.id]))
    } finally {
      a.process.kill('SIGCONT')
    }
    // No join, leave or typing from here on: both come to see both by themselves.
    await allShow([seenOnA, seenOnC], [dana.user.id, sam.user.id])
    expect(onA.connected).toBe(true)
  }, 90_000)

  it('deliver an event committed through instance A to a client connected to instance B', async () => {
    const owner = await createMember('owner')
    const onB = await connect(b, owner.cookie)
    const received = new Promise<{ type: string; number: number }>((resolve) =>
      onB.on('ticket-event', (e: { type: string; number: number }) => resolve(e)),
    )
    const response = await writeIn(a, owner.workspace.slug, {
      name: 'Robin Buyer',
      email: 'robin@example.org',
      subject: 'Where is my parcel?',
      message: 'It was due yesterday.',
    })
    expect(response.status).toBe(302)
    const event = await received
    expect(event).toMatchObject({ type: 'ticket.created', number: 1 })
  })

  it('tell a member removed through instance A, on their tabs connected to instance B, that they lost the workspace', async () => {
    const owner = await createMember('owner')
    const agent = await createMember('agent', owner.workspace)
    const onB = await connect(b, agent.cookie)
    const told = new Promise<{ workspaceId: string }>((resolve) => onB.on('workspace:removed', resolve))
    const response = await postMembersPage(a, owner, {
      intent: 'remove',
      membershipId: agent.membershipId,
      confirmed: '1',
    })
    expect(response.status).toBe(200)
    expect(await told).toEqual({ workspaceId: owner.workspace.id })
  })

  it('tell a member whose role changed through instance A, on their tabs on every instance, and no one else', async () => {
    const owner = await createMember('owner')
    const admin = await createMember('admin', owner.workspace)
    const agent = await createMember('agent', owner.workspace)
    const adminOnB = await connect(b, admin.cookie)
    const adminOnA = await connect(a, admin.cookie)
    const others = [await connect(b, agent.cookie), await connect(a, owner.cookie)]
    const toldOthers: unknown[] = []
    for (const socket of others) socket.on('workspace:role', (p: unknown) => toldOthers.push(p))
    const told = [adminOnB, adminOnA].map((socket) => nextEvent(socket, 'workspace:role'))
    const changeRole = (membershipId: string, role: string) =>
      postMembersPage(a, owner, { intent: 'change-role', membershipId, role })
    expect((await changeRole(admin.membershipId, 'agent')).status).toBe(200)
    expect(await Promise.all(told)).toEqual(Array(2).fill({ workspaceId: owner.workspace.id, role: 'agent' }))
    // Promoted back: told again.
    const promoted = nextEvent(adminOnB, 'workspace:role')
    expect((await changeRole(admin.membershipId, 'admin')).status).toBe(200)
    expect(await promoted).toEqual({ workspaceId: owner.workspace.id, role: 'admin' })
    // A role saved unchanged tells no one: its next event is the later change's.
    const next = nextEvent(adminOnB, 'workspace:role')
    expect((await changeRole(admin.membershipId, 'admin')).status).toBe(200)
    expect((await changeRole(admin.membershipId, 'agent')).status).toBe(200)
    expect(await next).toEqual({ workspaceId: owner.workspace.id, role: 'agent' })
    // Whatever reached the others' sockets came before an answer to their own later request on
    // the same connection: nothing did.
    for (const socket of others) {
      expect(
        await emitWithAck(socket, 'workspace:viewing', { workspaceId: owner.workspace.id }),
      ).toMatchObject({
        ok: true,
      })
    }
    expect(toldOthers).toEqual([])
    // The demoted member's sockets keep the workspace's rooms (given by membership, not role):
    // they still get its live events.
    expect(
      await emitWithAck(adminOnB, 'workspace:viewing', { workspaceId: owner.workspace.id }),
    ).toMatchObject({ ok: true })
  })

  it('note a change made through instance A on instance B, for a page whose socket connects to B after it', async () => {
    const owner = await createMember('owner')
    const readAt = Date.now()
    const response = await writeIn(a, owner.workspace.slug, {
      name: 'Kim Buyer',
      email: 'kim@example.org',
      subject: 'Wrong size',
      message: 'I ordered a medium.',
    })
    expect(response.status).toBe(302)
    // B hears of it through PostgreSQL shortly after A answered: a socket connecting to B then
    // is told an event of its workspace went by (one connecting in between gets the event itself).
    await waitFor(async () => {
      const { socket, ready } = await connectSocketReady(b.url, owner.cookie)
      socket.disconnect()
      return ready.lastChangeAt !== null && missedWhileConnecting(ready, readAt)
    }, 5_000)
  })

  // Last: until the others drop the dead instance (10 s), a socket connecting to them waits 5 s for
  // its answer to the per-user socket cap's count, and is closed.
  it('drop the viewers of an instance that dies from the presence of the others, and from the queue markers', async () => {
    const dana = await createMember('agent')
    const sam = await createMember('agent', dana.workspace)
    const ticket = await createTicketFor(dana)
    // Viewed only from the instance that dies: no socket is left in its room to recount it.
    const samsOnly = await createTicketFor(dana)
    const doomed = await startInstance(testDatabaseUrl)
    try {
      const onA = await connect(a, dana.cookie)
      const seenOnA = lastPresence(onA)
      // The queue's markers as useViewing keeps them: `viewing` per ticket, `viewing:all` whole.
      let markers: Record<string, string[]> = {}
      onA.on(
        'viewing',
        ({ ticketId, viewers }: ViewingPayload) => (markers = { ...markers, [ticketId]: viewers }),
      )
      onA.on('viewing:all', ({ workspaceId, viewing }: ViewingSnapshot & { workspaceId: string }) => {
        if (workspaceId === dana.workspace.id) markers = viewing
      })
      const onDoomed = await connect(doomed, sam.cookie)
      expect(await join(onA, ticket.ticketId)).toMatchObject({ ok: true })
      expect(await join(onDoomed, ticket.ticketId)).toMatchObject({ ok: true })
      expect(await join(onDoomed, samsOnly.ticketId)).toMatchObject({ ok: true })
      await allShow([seenOnA], [dana.user.id, sam.user.id])
      await until(
        () => markers[samsOnly.ticketId],
        (names) => same(names, [sam.user.name]),
        SETTLES_WITHIN_MS,
      )
      // Killed: no goodbye to the other instances, no disconnect of Sam's socket that A hears of.
      await doomed.stop('SIGKILL')
      // A tab connecting to A meanwhile (as the dead instance's tabs do) is served, though A still
      // waits for the dead instance's count of that user's sockets: it was closed, for good.
      const kim = await createMember('agent', dana.workspace)
      await connect(a, kim.cookie)
      // A drops it 10 s after it last heard from it, notices within a second and recounts.
      await allShow([seenOnA], [dana.user.id])
      // The queue's marker of the ticket only Sam viewed goes too (it stayed until a reload).
      await until(
        () => markers[samsOnly.ticketId],
        (names) => (names ?? []).length === 0,
        SETTLES_WITHIN_MS,
      )
      expect(markers[ticket.ticketId]).toEqual([dana.user.name])
    } finally {
      await doomed.stop()
    }
  }, 60_000)
})
