import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { aiRuns, ticketTriage, tickets } from '#db/schema.ts'
import { triageTicket } from '#app/ai/triage.server.ts'
import { QUEUE_STOP_GRACE_MS, startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { startWorkers } from '#app/jobs/worker.server.ts'
import { updateTickets } from '#app/domain/tickets.server.ts'
import { asMember, createTicketFor } from '#tests/helpers/factories.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { memberWithTriage, setProvider, withFakeOpenAI } from '#tests/helpers/ai.ts'
import { waitFor } from '#tests/helpers/wait.ts'

/**
 * Triage and the queue's stop: a model call that never answers must not hold a shutdown, and
 * the ticket it was for must be triaged after the next start (not completed without a
 * suggestion). The retry itself is pg-boss's (10 s later), not waited for here.
 */
const fake = withFakeOpenAI()

beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: true })
})
afterAll(async () => {
  await stopQueue()
})
beforeEach(() => {
  setProvider({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-triage-stop' })
})

const triageOf = async (ticketId: string) =>
  (await getDb().select().from(ticketTriage).where(eq(ticketTriage.ticketId, ticketId)))[0]

it('an aborted triage throws (so its job runs again), stores nothing and records the call as cancelled', async () => {
  const agent = await memberWithTriage(['Billing'])
  const created = await createTicketFor(agent)
  fake.failNext({ kind: 'slow', delayMs: 'forever' })
  const stop = new AbortController()
  const running = triageTicket(agent.workspace.id, created.ticketId, { signal: stop.signal })
  await waitFor(() => fake.requests.length === 1)
  stop.abort()
  await expect(running).rejects.toThrow(/runs again on the next start/)
  expect(await triageOf(created.ticketId)).toBeUndefined()
  const runs = await getDb().select().from(aiRuns).where(eq(aiRuns.ticketId, created.ticketId))
  expect(runs.map((r) => [r.feature, r.outcome])).toEqual([['triage', 'cancelled']])
})

it('a stop aborts a triage job’s model call within the queue’s grace and leaves the job to run again', async () => {
  const agent = await memberWithTriage(['Billing'])
  await getDb().execute(sql`delete from pgboss.job where name = 'ai.triage'`)
  fake.failNext({ kind: 'slow', delayMs: 'forever' })
  await startWorkers()
  const created = await createTicketFor(agent)
  await waitFor(() => fake.requests.length === 1)

  const started = performance.now()
  await stopQueue()
  const stopMs = performance.now() - started
  expect(stopMs).toBeLessThan(QUEUE_STOP_GRACE_MS + 1_000)
  await waitFor(() => fake.requests[0]!.aborted)

  const jobs = await getDb().execute<{ state: string }>(
    sql`select state from pgboss.job where name = 'ai.triage' and data->>'ticketId' = ${created.ticketId}`,
  )
  // Not completed: pg-boss retries it on the next start.
  expect(jobs.rows.map((j) => j.state)).toEqual(['retry'])
  expect(await triageOf(created.ticketId)).toBeUndefined()
})

it('auto-apply keeps a priority an agent chose while the model was answering', async () => {
  // The test above stopped the queue (ticket creation enqueues the triage job); no workers now.
  await startQueue(testDatabaseUrl, { listen: true })
  const agent = await memberWithTriage(['Billing'], { mode: 'auto-apply' })
  const created = await createTicketFor(agent)
  fake.respond = () => ({
    content: JSON.stringify({
      priority: 'urgent',
      tags: [],
      language: 'en',
      sentiment: 'negative',
      gist: 'Late',
    }),
  })
  fake.failNext({ kind: 'slow', delayMs: 400 })
  // Triage read the ticket (priority normal) and waits for the model; the agent sets low meanwhile.
  const running = triageTicket(agent.workspace.id, created.ticketId)
  await waitFor(() => fake.requests.length === 1)
  await updateTickets(asMember(agent), [created.ticketId], { priority: 'low' })
  expect((await running).outcome).toBe('applied')
  const [row] = await getDb()
    .select({ priority: tickets.priority })
    .from(tickets)
    .where(eq(tickets.id, created.ticketId))
  expect(row!.priority).toBe('low')
})

it('a job run again after its suggestion was stored makes no second call, and in auto-apply applies what was not applied', async () => {
  const agent = await memberWithTriage(['Billing'], { mode: 'auto-apply' })
  const created = await createTicketFor(agent)
  const requestsBefore = fake.requests.length
  // The first attempt stored its answer and then failed on the database before applying it.
  await getDb().insert(ticketTriage).values({
    ticketId: created.ticketId,
    workspaceId: agent.workspace.id,
    priority: 'urgent',
    language: 'en',
    sentiment: 'negative',
    gist: 'Late',
  })
  const again = await triageTicket(agent.workspace.id, created.ticketId)
  expect(again.outcome).toBe('applied')
  expect(fake.requests).toHaveLength(requestsBefore)
  const [row] = await getDb()
    .select({ priority: tickets.priority })
    .from(tickets)
    .where(eq(tickets.id, created.ticketId))
  expect(row!.priority).toBe('urgent')
  expect((await triageOf(created.ticketId))!.appliedAt).not.toBeNull()
  // Applied now: one more run changes nothing and calls no one.
  expect(await triageTicket(agent.workspace.id, created.ticketId)).toEqual({
    outcome: 'triaged-already',
    events: [],
  })
  expect(fake.requests).toHaveLength(requestsBefore)
})
