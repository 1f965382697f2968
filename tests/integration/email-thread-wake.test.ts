import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails, users } from '#db/schema.ts'
import { recordDeliveryEvents } from '#app/domain/delivery-events.server.ts'
import { queueEmail } from '#app/domain/email.server.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { undoReply } from '#app/domain/undo-send.server.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { FakeSendGrid } from '#tests/fakes/sendgrid.ts'
import { sendGridRequestsFor } from '#tests/helpers/email-attempts.ts'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { testEmail } from '#tests/helpers/outbox.ts'
import { killServers, startServer } from '#tests/helpers/server-process.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { until, waitFor } from '#tests/helpers/wait.ts'

// A customer email that waits behind an earlier one of its ticket (deliverEmail's thread order)
// goes as soon as that one finishes: sent, failed for good, or taken back by Undo send. Before, it
// went only at its next check, 1, 2, 4… up to 30 s later. The worker is the production build as a
// process of its own; this process runs no worker, so a wake written here (an Undo, a delivery
// event) must reach the other process. Timed (TIMED in test-groups.ts).
const fake = new FakeSendGrid()
const dirs: string[] = []
let member: Awaited<ReturnType<typeof createMember>>

beforeAll(async () => {
  await fake.start()
  await startQueue(testDatabaseUrl)
  member = await createMember()
  await getDb().update(users).set({ undoSendSeconds: 30 }).where(eq(users.id, member.user.id))
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-thread-wake-'))
  dirs.push(dataDir)
  await startServer({
    databaseUrl: testDatabaseUrl,
    dataDir,
    env: {
      RUN_WORKER: 'true',
      SENDGRID_API_KEY: fake.apiKey,
      SENDGRID_API_BASE_URL: fake.url,
      // The held calls last about 16 s: no timeout may end them first.
      SENDGRID_TIMEOUT_MS: '40000',
    },
  })
}, 60_000)
afterAll(async () => {
  killServers()
  await stopQueue()
  await fake.stop()
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
})

let n = 0
/** An agent reply's email on the ticket, queued in its own transaction; `hold`: SendGrid holds its call. */
async function queuedReply(ticketId: string, { hold = false } = {}) {
  let release: ReturnType<FakeSendGrid['hold']> | undefined
  const id = await getDb().transaction(async (tx) => {
    const emailId = await queueEmail(tx, {
      ...testEmail(member.workspace.id, ++n),
      kind: 'agent-reply',
      ticketId,
    })
    // Before the commit: the worker may take the email the moment it is queued.
    if (hold) release = fake.hold(emailId)
    return emailId
  })
  return { id, release: release! }
}

/** The email's job once it has waited `waits` times behind an earlier email: when it is due. */
async function deferredJob(emailId: string, waits: number) {
  const job = await until(
    async () => {
      const { rows } = await getDb().execute<{ due: Date; waits: number }>(sql`
        select j.start_after as due, (j.data->>'threadWaits')::int as waits
        from emails e join pgboss.job j on j.name = 'email.send' and j.id::text = e.job_id
        where e.id = ${emailId} and j.state = 'created'`)
      return rows[0]
    },
    (row) => row !== undefined && row.waits >= waits,
    40_000,
  )
  return { due: new Date(job!.due).getTime() }
}

const requestedAt = (emailId: string) => sendGridRequestsFor(fake, emailId)[0]?.at

/** Queues B behind an earlier email and waits until it has waited 5 times: its next check is 16 s away. */
async function waitingBehind(ticketId: string) {
  const b = await queuedReply(ticketId)
  const { due } = await deferredJob(b.id, 5)
  return { b: b.id, due }
}

/** B reached SendGrid soon after `finishedAt`, well before its own next check. */
async function expectWoken(b: string, finishedAt: number, due: number) {
  await waitFor(() => requestedAt(b) !== undefined, 30_000)
  const at = requestedAt(b)!
  console.info(
    `woken ${at - finishedAt} ms after the earlier email finished (its check was ${due - finishedAt} ms away)`,
  )
  expect(at).toBeGreaterThanOrEqual(finishedAt)
  expect(at - finishedAt).toBeLessThan(8_000)
  expect(at).toBeLessThan(due - 5_000)
  expect(sendGridRequestsFor(fake, b)).toHaveLength(1)
}

describe("a ticket's later email waiting behind an earlier one", () => {
  it('goes at once when the earlier one is sent, fails for good, is taken back by Undo send, or a delivery event settles it', async () => {
    const [sentTicket, failedTicket, undoneTicket, eventTicket] = await Promise.all([
      createTicketFor(member),
      createTicketFor(member),
      createTicketFor(member),
      createTicketFor(member),
    ])
    // A1 and A2 reach SendGrid, which holds them; A3 is a reply held for its 30 s undo window.
    const a1 = await queuedReply(sentTicket.ticketId, { hold: true })
    const a2 = await queuedReply(failedTicket.ticketId, { hold: true })
    // A4's call gets no answer; SendGrid's processed event says it has it.
    const a4 = await queuedReply(eventTicket.ticketId, { hold: true })
    const a3 = await replyToTicket(asMember(member), undoneTicket.number, {
      kind: 'reply',
      body: 'Taken back',
      undoable: true,
    })
    if (a3.kind !== 'sent' || !a3.held) throw new Error('not held')
    await waitFor(() => [a1, a2, a4].every((a) => requestedAt(a.id) !== undefined), 10_000)

    const [b1, b2, b3, b4] = await Promise.all([
      waitingBehind(sentTicket.ticketId),
      waitingBehind(failedTicket.ticketId),
      waitingBehind(undoneTicket.ticketId),
      waitingBehind(eventTicket.ticketId),
    ])

    const sentAt = Date.now()
    a1.release({ status: 202 })
    const failedAt = Date.now()
    a2.release({ status: 400 })
    const undoneAt = Date.now()
    // In this process, which runs no worker: the other process's worker is woken.
    expect((await undoReply(asMember(member), undoneTicket.number, a3.messageId)).kind).toBe('undone')
    const settledAt = Date.now()
    await recordDeliveryEvents([
      {
        sg_event_id: `processed-${a4.id}`,
        event: 'processed',
        timestamp: Math.floor(settledAt / 1000),
        email_id: a4.id,
      },
    ])

    await Promise.all([
      expectWoken(b1.b, sentAt, b1.due),
      expectWoken(b2.b, failedAt, b2.due),
      expectWoken(b3.b, undoneAt, b3.due),
      expectWoken(b4.b, settledAt, b4.due),
    ])
    a4.release({ status: 202 })
    const statuses = await getDb()
      .select({ id: emails.id, status: emails.status })
      .from(emails)
      .where(sql`${emails.id} in (${a1.id}, ${a2.id}, ${a4.id}, ${b1.b}, ${b2.b}, ${b3.b}, ${b4.b})`)
    expect(Object.fromEntries(statuses.map((row) => [row.id, row.status]))).toEqual({
      [a1.id]: 'sent',
      [a2.id]: 'failed',
      [a4.id]: 'sent',
      [b1.b]: 'sent',
      [b2.b]: 'sent',
      [b3.b]: 'sent',
      [b4.b]: 'sent',
    })
    // Order kept: each B went after its A finished.
    expect(requestedAt(b1.b)!).toBeGreaterThanOrEqual(sendGridRequestsFor(fake, a1.id)[0]!.answeredAt!)
  }, 90_000)
})
