import { randomUUID } from 'node:crypto'
import { asc, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { inboundEmails, messages, tickets } from '#db/schema.ts'
import { storeInboundPost } from '#app/domain/inbound-email.server.ts'
import { type parseEnv } from '#app/env.server.ts'
import { enqueue, queue, startQueue, type JobName } from '#app/jobs/queue.server.ts'
import { startWorkers } from '#app/jobs/worker.server.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { rawModePost } from '#tests/helpers/inbound-post.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { until } from '#tests/helpers/wait.ts'

/**
 * A backlog is worked off at the speed of the work, not of the backstop poll. Found by a tester:
 * 300 Inbound Parse posts SendGrid re-posted after an outage were filed 4 every 5 s once the posts
 * stopped (batches of 4, exactly 5.0 s apart, each done in ~0.3 s): pg-boss waits its
 * notifyPollingIntervalSeconds after a batch, full or not, unless something wakes the worker.
 * Every queue's jobs are queued here before the workers start, so no commit's NOTIFY helps.
 */
const INBOUND = 'backlog.example.test'
const envStore = globalThis as unknown as { __switchboardEnv?: ReturnType<typeof parseEnv> }

beforeAll(async () => {
  process.env.INBOUND_DOMAIN = INBOUND
  process.env.INBOUND_MAX_PER_SENDER_HOUR = '1000'
  envStore.__switchboardEnv = undefined
  await startQueue(testDatabaseUrl, { listen: true })
})
afterAll(async () => {
  await queue().stop({ graceful: false, timeout: 1000 })
})

const eml = (to: string, i: number, from: number, extra = '') =>
  Buffer.from(
    `From: Customer ${from} <backlog-${from}@example.org>\r\nTo: ${to}\r\nSubject: Backlog ${i}\r\nMessage-ID: <backlog-${i}@example.org>\r\n${extra}\r\nEmail number ${i}.\r\n`,
  )

/** How many of the queue's jobs completed (pg-boss's own table: nothing else records them). */
async function completed(name: JobName) {
  const { rows } = await queue()
    .getDb()
    .executeSql(`select count(*)::int as n from pgboss.job where name = $1 and state = 'completed'`, [name])
  return (rows[0] as { n: number }).n
}

it('files 40 queued inbound emails within seconds, one ticket per thread, its emails in order', async () => {
  const m = await createMember()
  const to = `${m.workspace.slug}.support@${INBOUND}`
  // A thread among them, across batches: the first email, then two replies to it (the second
  // one answering the first reply), six posts apart.
  const thread = new Map<number, string>([
    [9, 'In-Reply-To: <backlog-3@example.org>\r\nReferences: <backlog-3@example.org>\r\n'],
    [
      15,
      'In-Reply-To: <backlog-9@example.org>\r\nReferences: <backlog-3@example.org> <backlog-9@example.org>\r\n',
    ],
  ])
  for (let i = 0; i < 40; i++) {
    // The replies come from the thread's customer (the first email's sender).
    const post = rawModePost(eml(to, i, thread.has(i) ? 3 : i, thread.get(i)), { envelopeTo: [to] })
    expect((await storeInboundPost(post.contentType, post.body)).kind).toBe('stored')
  }
  const started = performance.now()
  await startWorkers()
  await until(
    async () => {
      const [row] = await getDb()
        .select({ n: sql<number>`count(*)::int` })
        .from(inboundEmails)
        .where(eq(inboundEmails.status, 'received'))
      return row.n
    },
    (n) => n === 0,
    90_000,
  )
  const seconds = (performance.now() - started) / 1000
  console.info(`email.inbound backlog: 40 posts filed in ${seconds.toFixed(2)} s`)
  // Before: 10 batches of 4, 5 s apart (~45 s). Loose for 2 shared cores.
  expect(seconds).toBeLessThan(15)
  const filed = await getDb().select({ status: inboundEmails.status }).from(inboundEmails)
  expect(filed.every((r) => r.status === 'filed')).toBe(true)
  const rows = await getDb()
    .select({ ticketId: messages.ticketId, body: messages.bodyText })
    .from(messages)
    .innerJoin(tickets, eq(tickets.id, messages.ticketId))
    .where(eq(tickets.workspaceId, m.workspace.id))
    .orderBy(asc(messages.createdAt), asc(messages.id))
  expect(new Set(rows.map((r) => r.ticketId)).size).toBe(38)
  const threadTicket = rows.find((r) => r.body.includes('Email number 3.'))!.ticketId
  expect(rows.filter((r) => r.ticketId === threadTicket).map((r) => r.body.trim())).toEqual([
    'Email number 3.',
    'Email number 9.',
    'Email number 15.',
  ])
}, 120_000)

it('works off a backlog of password-reset and triage jobs without waiting a poll between fetches', async () => {
  const m = await createMember()
  const before = { reset: await completed('account.password-reset'), triage: await completed('ai.triage') }
  // Unknown addresses (the job then sends nothing) and tickets that do not exist (triage: gone).
  await getDb().transaction(async (tx) => {
    for (let i = 0; i < 12; i++) {
      await enqueue(tx, 'account.password-reset', { email: `nobody-${i}@example.org` })
    }
    for (let i = 0; i < 40; i++) {
      await enqueue(tx, 'ai.triage', { workspaceId: m.workspace.id, ticketId: randomUUID() })
    }
  })
  // The commit's NOTIFY wakes each queue's idle worker (started by the first test) once.
  const started = performance.now()
  const done = await until(
    async () => ({
      reset: (await completed('account.password-reset')) - before.reset,
      triage: (await completed('ai.triage')) - before.triage,
    }),
    (n) => n.reset === 12 && n.triage === 40,
    90_000,
  )
  const seconds = (performance.now() - started) / 1000
  console.info(`backlogs: 12 password resets and 40 triage jobs in ${seconds.toFixed(2)} s`)
  expect(done).toEqual({ reset: 12, triage: 40 })
  // Before: one reset per 5 s poll (~55 s) and 8 triage jobs per 10 s poll (~40 s).
  expect(seconds).toBeLessThan(15)
}, 120_000)
