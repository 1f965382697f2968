import { eq, sql } from 'drizzle-orm'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { aiRuns, ticketTriage } from '#db/schema.ts'
import { aiTriageKeys } from '#app/ai/client.server.ts'
import { busyWaitMs, TRIAGE_BUSY, triageNow, triageTicket, triageView } from '#app/ai/triage.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { startWorkers } from '#app/jobs/worker.server.ts'
import { asMember, createTicketFor } from '#tests/helpers/factories.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { memberWithTriage, setProvider, tuneAi, withFakeOpenAI } from '#tests/helpers/ai.ts'
import { until } from '#tests/helpers/wait.ts'

/**
 * The triage job and a busy provider (429 rate limited, 503 overloaded): the ticket is tried
 * again later (after the Retry-After, bounded, or a backoff), a bounded number of times, taking
 * one slot of the workspace's triage caps in all; the workspace's other triage jobs wait for the
 * provider instead of each calling it; after the last try the ticket offers "Triage now". Until
 * 2026-12-07 the job completed: no triage row, no "Triage now", nothing tried again.
 */

const fake = withFakeOpenAI()
const ANSWER = { priority: 'high', tags: [], language: 'en', sentiment: 'neutral', gist: 'Tried again' }

beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: true })
})
beforeEach(() => {
  setProvider({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-triage-busy' })
  tuneAi({ backoffBaseMs: 5 })
  fake.respond = () => ({ content: JSON.stringify(ANSWER) })
})

type Requeued = { data: { busy?: { since: string; calls: number } }; delay: number; state: string }

/** The jobs that try this ticket again (the creation's own job has no `busy`), with their delay in s. */
async function retriesOf(ticketId: string) {
  const result = await getDb().execute<Requeued>(
    sql`select data, extract(epoch from start_after - created_on)::float8 as delay, state from pgboss.job
        where name = 'ai.triage' and data->>'ticketId' = ${ticketId} and data ? 'busy' order by created_on`,
  )
  return result.rows
}

async function triageRow(ticketId: string) {
  const [row] = await getDb().select().from(ticketTriage).where(eq(ticketTriage.ticketId, ticketId))
  return row
}

async function hourSlots(workspaceId: string) {
  const result = await getDb().execute<{ hits: number }>(
    sql`select coalesce(sum(hits), 0)::int as hits from rate_limit_counters where key = ${aiTriageKeys(workspaceId).hour}`,
  )
  return result.rows[0]!.hits
}

const busy429 = (retryAfter: string) => ({ kind: 'status' as const, status: 429, retryAfter })

describe('a busy provider', () => {
  it('a 429 with Retry-After: the ticket is tried again after it, says so, and its triage slot is given back', async () => {
    const agent = await memberWithTriage(['Billing'])
    const created = await createTicketFor(agent)
    // 40 s is more than half the job's deadline: the call itself does not wait for it.
    fake.failNext(busy429('40'))
    const outcome = await triageTicket(agent.workspace.id, created.ticketId)
    expect(outcome).toMatchObject({ outcome: 'busy', calls: 1 })
    expect(fake.requests).toHaveLength(1)
    const [again, ...more] = await retriesOf(created.ticketId)
    expect(more).toEqual([])
    expect(again!.data.busy!.calls).toBe(1)
    expect(again!.delay).toBeGreaterThanOrEqual(40)
    expect(again!.delay).toBeLessThanOrEqual(51)
    // The panel says it is tried again, and offers Triage now.
    const row = await triageRow(created.ticketId)
    expect(row).toMatchObject({ skipped: 'retrying', gist: '', priority: null })
    expect(triageView({ ...row!, suggestedTags: [] }, { priority: 'normal' }, [])).toMatchObject({
      skipped: 'retrying',
    })
    // Nothing was answered or billed: no slot of the workspace's caps is spent on it.
    expect(await hourSlots(agent.workspace.id)).toBe(0)
    const runs = await getDb().select().from(aiRuns).where(eq(aiRuns.ticketId, created.ticketId))
    expect(runs).toMatchObject([{ feature: 'triage', outcome: 'failed', errorClass: 'RateLimitError' }])
  })

  it('a 503 too; the wait is the Retry-After between 5 s and 10 minutes, or a backoff from 1 minute', async () => {
    const agent = await memberWithTriage(['Billing'])
    const created = await createTicketFor(agent)
    fake.failNext({ kind: 'status', status: 503, retryAfter: '3600' })
    expect(await triageTicket(agent.workspace.id, created.ticketId)).toMatchObject({ outcome: 'busy' })
    const [again] = await retriesOf(created.ticketId)
    expect(again!.delay).toBeGreaterThanOrEqual(600)
    expect(again!.delay).toBeLessThanOrEqual(631)

    expect(busyWaitMs(1, 1)).toBe(5_000)
    expect(busyWaitMs(3600, 1)).toBe(600_000)
    expect(busyWaitMs(30, 4)).toBe(30_000)
    expect([1, 2, 3, 4, 5, 6].map((calls) => busyWaitMs(undefined, calls) / 60_000)).toEqual([
      1, 2, 4, 8, 10, 10,
    ])
  })

  it('the workspace’s other triage jobs make no call while it is busy; another workspace is not held', async () => {
    const agent = await memberWithTriage(['Billing'])
    const first = await createTicketFor(agent)
    const second = await createTicketFor(agent)
    fake.failNext(busy429('40'))
    await triageTicket(agent.workspace.id, first.ticketId)
    expect(fake.requests).toHaveLength(1)

    const waited = await triageTicket(agent.workspace.id, second.ticketId)
    expect(waited).toMatchObject({ outcome: 'busy', calls: 0 })
    expect(fake.requests).toHaveLength(1)
    const [again] = await retriesOf(second.ticketId)
    expect(again!.data.busy!.calls).toBe(0)
    expect(again!.delay).toBeGreaterThanOrEqual(38)
    expect((await triageRow(second.ticketId))?.skipped).toBe('retrying')

    const other = await memberWithTriage(['Billing'])
    const theirs = await createTicketFor(other)
    expect(await triageTicket(other.workspace.id, theirs.ticketId)).toMatchObject({ outcome: 'suggested' })
    expect(fake.requests).toHaveLength(2)
  })

  it('tried again after the wait it calls once and triages, one slot counted; a ticket an agent triaged meanwhile is not called for', async () => {
    tuneAi({ backoffBaseMs: 5, triageBusyMinWaitMs: 50 })
    const agent = await memberWithTriage(['Billing'])
    const first = await createTicketFor(agent)
    const second = await createTicketFor(agent)
    // The call waits out the first (Retry-After 0) itself; the second ends it busy, for a second.
    fake.failNext(busy429('0'), busy429('1'))
    expect(await triageTicket(agent.workspace.id, first.ticketId)).toMatchObject({ outcome: 'busy' })
    expect(await triageTicket(agent.workspace.id, second.ticketId)).toMatchObject({
      outcome: 'busy',
      calls: 0,
    })
    expect(fake.requests).toHaveLength(2)
    await new Promise((resolve) => setTimeout(resolve, 1_300))

    const [firstAgain] = await retriesOf(first.ticketId)
    const outcome = await triageTicket(agent.workspace.id, first.ticketId, { busy: firstAgain!.data.busy! })
    expect(outcome).toMatchObject({ outcome: 'suggested' })
    expect(fake.requests).toHaveLength(3)
    expect(await triageRow(first.ticketId)).toMatchObject({ skipped: null, gist: 'Tried again' })

    // An agent's Triage now on the second ticket while its job waits: the job then makes no call.
    const clicked = await triageNow(asMember(agent), second.number)
    expect(clicked.kind).toBe('triaged')
    expect(fake.requests).toHaveLength(4)
    const [secondAgain] = await retriesOf(second.ticketId)
    expect(
      await triageTicket(agent.workspace.id, second.ticketId, { busy: secondAgain!.data.busy! }),
    ).toMatchObject({ outcome: 'triaged-already' })
    expect(fake.requests).toHaveLength(4)
    // One slot per triaged ticket: the busy answers gave theirs back.
    expect(await hourSlots(agent.workspace.id)).toBe(2)
  })

  it('after its last try, or past half an hour, the ticket says the provider was busy and offers Triage now', async () => {
    const agent = await memberWithTriage(['Billing'])
    const last = await createTicketFor(agent)
    const late = await createTicketFor(agent)
    fake.failNext(busy429('40'))
    const since = new Date(Date.now() - 60_000).toISOString()
    const outcome = await triageTicket(agent.workspace.id, last.ticketId, {
      busy: { since, calls: TRIAGE_BUSY.calls - 1 },
    })
    expect(outcome).toMatchObject({ outcome: 'skipped', reason: 'busy' })
    expect(await retriesOf(last.ticketId)).toEqual([])
    const row = await triageRow(last.ticketId)
    expect(row).toMatchObject({ skipped: 'busy' })
    expect(triageView({ ...row!, suggestedTags: [] }, { priority: 'normal' }, [])).toMatchObject({
      skipped: 'busy',
    })

    // Its first busy answer 34.5 minutes ago: waiting for the provider (40 s) would take it past 35.
    const longAgo = new Date(Date.now() - 34.5 * 60_000).toISOString()
    expect(
      await triageTicket(agent.workspace.id, late.ticketId, { busy: { since: longAgo, calls: 1 } }),
    ).toMatchObject({ outcome: 'skipped', reason: 'busy' })
    expect(fake.requests).toHaveLength(1)
    expect(await retriesOf(late.ticketId)).toEqual([])

    // Triage now on it calls the provider (the agent decides), and triages it once it answers.
    const clicked = await triageNow(asMember(agent), last.number)
    expect(clicked.kind).toBe('triaged')
    expect(await triageRow(last.ticketId)).toMatchObject({ skipped: null, gist: 'Tried again' })
  })
})

// Last: once the workers run, they triage every ticket created after.
describe('the worker', () => {
  it('a burst of 50 new tickets against a busy provider makes a few calls, not one per ticket, and tries each again later', async () => {
    const agent = await memberWithTriage(['Billing'])
    await getDb().execute(sql`delete from pgboss.job where name = 'ai.triage'`)
    fake.failNext(...Array.from({ length: 60 }, () => busy429('600')))
    await startWorkers()
    const ids: string[] = []
    for (let i = 0; i < 50; i++) ids.push((await createTicketFor(agent, { subject: `Burst ${i}` })).ticketId)
    const jobs = await until(
      async () =>
        (
          await getDb().execute<{ state: string; output: { outcome?: string } | null }>(
            sql`select state, output from pgboss.job where name = 'ai.triage'
                and data->>'ticketId' = any(${sql.param(ids)}::text[]) and not data ? 'busy'`,
          )
        ).rows,
      (rows) => rows.length === 50 && rows.every((r) => r.state === 'completed' || r.state === 'failed'),
      30_000,
    )
    expect(jobs.every((j) => j.state === 'completed' && j.output?.outcome === 'busy')).toBe(true)
    // The jobs that ran at once before the first answer (4 at a time) called; the rest waited.
    expect(fake.requests.length).toBeGreaterThanOrEqual(1)
    expect(fake.requests.length).toBeLessThanOrEqual(4)
    // Every ticket is tried again in about 10 minutes, and says so meanwhile.
    const again = await getDb().execute<{ delay: number }>(
      sql`select extract(epoch from start_after - now())::float8 as delay from pgboss.job
          where name = 'ai.triage' and data->>'ticketId' = any(${sql.param(ids)}::text[]) and data ? 'busy'`,
    )
    expect(again.rows).toHaveLength(50)
    expect(Math.min(...again.rows.map((r) => r.delay))).toBeGreaterThan(500)
    const rows = await getDb()
      .select({ skipped: ticketTriage.skipped })
      .from(ticketTriage)
      .where(eq(ticketTriage.workspaceId, agent.workspace.id))
    expect(rows.filter((r) => r.skipped === 'retrying')).toHaveLength(50)
    expect(await hourSlots(agent.workspace.id)).toBe(0)
  })
})
