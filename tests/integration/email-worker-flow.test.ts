import { and, eq, inArray, sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails } from '#db/schema.ts'
import { queueEmail } from '#app/domain/email.server.ts'
import { startWorkers } from '#app/jobs/worker.server.ts'
import { sendGridRequestsFor, withFakeSendGrid } from '#tests/helpers/email-attempts.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { testEmail } from '#tests/helpers/outbox.ts'
import { until, waitFor } from '#tests/helpers/wait.ts'

// The email.send worker of this process against the fake SendGrid: how one slow send, a backlog
// and one ticket's replies go out. Timed (TIMED in test-groups.ts): it asserts how soon.
const fake = withFakeSendGrid()
let member: Awaited<ReturnType<typeof createMember>>

beforeAll(async () => {
  member = await createMember()
  await startWorkers()
})

let n = 0
/** An email queued in its own transaction; with a ticket: an agent reply on it. */
async function queued(ticketId?: string) {
  const email = testEmail(member.workspace.id, ++n)
  return getDb().transaction((tx) =>
    queueEmail(tx, ticketId ? { ...email, kind: 'agent-reply', ticketId } : email),
  )
}

const acceptedAt = (emailId: string) =>
  sendGridRequestsFor(fake, emailId).find((r) => r.status === 202)?.answeredAt

describe('one SendGrid call that does not answer', () => {
  it('holds no other email: emails queued while it waits reach SendGrid at once', async () => {
    fake.reset()
    // SendGrid reads this request and never answers it (until SENDGRID_TIMEOUT_MS, 20 s).
    fake.dropNext('hang')
    const slow = await queued()
    await waitFor(() => sendGridRequestsFor(fake, slow).length === 1, 5_000)
    const queuedAt = Date.now()
    const others = [await queued(), await queued()]
    // Before: the worker fetched its next batch only once the slow send's batch returned, 20 s on.
    await waitFor(() => others.every((id) => acceptedAt(id) !== undefined), 5_000)
    for (const id of others) expect(acceptedAt(id)! - queuedAt).toBeLessThan(3_000)
    expect(sendGridRequestsFor(fake, slow)[0]!.answeredAt).toBeUndefined()
  })
})

describe('a backlog', () => {
  it('drains 200 emails through SendGrid at 15 or more per second (measured: 19–43 on a loaded machine)', async () => {
    fake.reset()
    const ids = await getDb().transaction(async (tx) => {
      const queuedIds: string[] = []
      for (let i = 0; i < 200; i++) queuedIds.push(await queueEmail(tx, testEmail(member.workspace.id, ++n)))
      return queuedIds
    })
    const started = Date.now()
    const sent = await until(
      async () => {
        const [row] = await getDb()
          .select({ n: sql<number>`count(*)::int`, last: sql<string>`max(${emails.sentAt})` })
          .from(emails)
          .where(and(inArray(emails.id, ids), eq(emails.status, 'sent')))
        return row!
      },
      (row) => row.n === ids.length,
      30_000,
    )
    const perSecond = 200 / ((new Date(sent.last).getTime() - started) / 1000)
    console.info(`email.send through SendGrid: 200 emails at ${perSecond.toFixed(0)}/s`)
    expect(perSecond).toBeGreaterThanOrEqual(15)
  })
})

describe("one ticket's emails", () => {
  it('leave in the order they were written: a later reply waits while an earlier one is retried; other tickets go on', async () => {
    fake.reset()
    const ticket = await createTicketFor(member)
    const otherTicket = await createTicketFor(member)
    // Reply A gets a 500: released, and retried by pg-boss after its backoff (about 2 s).
    fake.failNext({ status: 500 })
    const a = await queued(ticket.ticketId)
    await waitFor(() => sendGridRequestsFor(fake, a).length === 1, 5_000)
    const b = await queued(ticket.ticketId)
    const other = await queued(otherTicket.ticketId)
    await waitFor(() => acceptedAt(other) !== undefined, 5_000)
    await waitFor(() => acceptedAt(a) !== undefined && acceptedAt(b) !== undefined, 20_000)
    // B went only once A had been accepted; the other ticket's reply did not wait for A.
    expect(sendGridRequestsFor(fake, b)[0]!.at).toBeGreaterThanOrEqual(acceptedAt(a)!)
    expect(acceptedAt(other)!).toBeLessThan(acceptedAt(a)!)
    // Recorded sent just after SendGrid's answer.
    await until(
      () =>
        getDb()
          .select({ status: emails.status })
          .from(emails)
          .where(inArray(emails.id, [a, b, other])),
      (rows) => rows.every((row) => row.status === 'sent'),
      5_000,
    )
    expect(sendGridRequestsFor(fake, b)).toHaveLength(1)
  })
})
