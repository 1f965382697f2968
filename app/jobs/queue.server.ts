import { PgBoss, type JobWithMetadata, type Queue, type WorkOptions } from 'pg-boss'
import type { DbOrTx } from '#db/client.ts'
import type { ShownNameScope } from '#db/queries/renamed-tickets.ts'
import { executePreparedText } from '#db/prepared.ts'
import { env } from '#app/env.server.ts'
import { logger } from '#app/logger.server.ts'
import { isDatabaseUnavailable } from '#app/http/database-outage.server.ts'

/** Every queue the app knows, with the payload each carries. */
export type JobPayloads = {
  'sessions.cleanup': Record<string, never>
  /** threadWaits: how often it has waited behind an earlier email of its ticket (deliverEmail). */
  'email.send': { emailId: string; threadWaits?: number }
  'email.inbound': { inboundEmailId: string }
  'files.cleanup': Record<string, never>
  'email.inbound-retention': Record<string, never>
  'webhook.deliver': { deliveryId: string; first?: boolean }
  'webhook.sweep': Record<string, never>
  /**
   * busy: the ticket's triage met a busy provider (429, 503) and this job tries again: since when
   * (ISO), and how many of its calls met one (triageTicket, app/ai/triage.server.ts).
   */
  'ai.triage': { workspaceId: string; ticketId: string; busy?: { since: string; calls: number } }
  'account.password-reset': { email: string }
  /** The rest of a mailbox's or member's rename: the walk by ticket id continues after `after`. */
  'tickets.name-changed': { scope: ShownNameScope; after: string; walk: string }
}
export type JobName = keyof JobPayloads
export const JOB_NAMES: JobName[] = [
  'sessions.cleanup',
  'email.send',
  'files.cleanup',
  'email.inbound',
  'email.inbound-retention',
  'webhook.deliver',
  'webhook.sweep',
  'ai.triage',
  'account.password-reset',
  'tickets.name-changed',
]

/**
 * Where jobs go once their retries are exhausted. Nothing works this queue: its jobs stay
 * `created`, counted on /readyz, until an operator redrives them (`npm run jobs:redrive`) or they
 * age out after DEAD_LETTER_RETENTION_SECONDS.
 */
export const DEAD_LETTER_QUEUE = 'jobs.dead-letter'
const DEAD_LETTER_RETENTION_SECONDS = 30 * 24 * 3600

/**
 * A job whose worker died keeps `active` until its heartbeat (refreshed every 5 s while the
 * handler runs) is 10 s stale; the supervisor, every SUPERVISE_SECONDS, then puts it back to
 * retry. Worst case from the crash to the next attempt: 10 + 10 + retry delay + one backstop
 * poll, about 30 s. `expireInSeconds` separately bounds a handler that hangs while alive.
 */
const HEARTBEAT_SECONDS = 10
const SUPERVISE_SECONDS = 10

type QueueSettings = Omit<Queue, 'name' | 'policy' | 'partition'>

/** Per-queue settings, applied on every start so databases created earlier pick them up too. */
export const QUEUE_SETTINGS: Record<JobName, QueueSettings> = {
  'email.send': {
    // A NOTIFY in the enqueuing transaction wakes the workers the moment it commits.
    notify: true,
    // 6 attempts over about a minute (2 s, 4 s, 8 s, 16 s, 32 s with jitter); then a dead letter.
    retryLimit: 5,
    retryDelay: 2,
    retryBackoff: true,
    retryDelayMax: 300,
    expireInSeconds: 120,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    deadLetter: DEAD_LETTER_QUEUE,
  },
  'email.inbound': {
    // Woken at commit like email.send. Filing is idempotent (a stored post is filed once, the
    // message's dedup key is unique per workspace): 4 retries over about 30 s, then a dead
    // letter; 5 minutes bound a 30 MB message.
    notify: true,
    retryLimit: 4,
    retryDelay: 2,
    retryBackoff: true,
    retryDelayMax: 300,
    expireInSeconds: 5 * 60,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    deadLetter: DEAD_LETTER_QUEUE,
  },
  'webhook.deliver': {
    // Woken at commit. HTTP failures are not job failures: deliverWebhook records each attempt
    // and schedules the next one itself (5 s … 10 h, about 27.5 h in all). pg-boss retries only
    // a handler that threw (the database) or died; the attempt counter keeps that to one POST.
    notify: true,
    retryLimit: 3,
    retryDelay: 5,
    retryBackoff: true,
    retryDelayMax: 300,
    // A POST has 10 s; recording it is one short transaction.
    expireInSeconds: 60,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    deadLetter: DEAD_LETTER_QUEUE,
  },
  'webhook.sweep': {
    // Every minute (worker.server.ts); a run missed is simply the next minute's work.
    notify: true,
    retryLimit: 1,
    retryDelay: 30,
    expireInSeconds: 5 * 60,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    deadLetter: DEAD_LETTER_QUEUE,
  },
  'ai.triage': {
    // Woken at commit of the ticket. Provider failures are not job failures (the run is
    // recorded and the ticket simply has no suggestion); only a database error retries, twice.
    // A busy provider (429, 503) is not one either: the job queues a new job for later itself
    // (triageTicket). 60 s is the model's deadline for jobs; 3 minutes bound the retries inside it.
    notify: true,
    retryLimit: 2,
    retryDelay: 10,
    retryBackoff: true,
    expireInSeconds: 3 * 60,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    deadLetter: DEAD_LETTER_QUEUE,
  },
  'account.password-reset': {
    // Woken at commit. Looks the address up and queues the reset email (or nothing): the
    // "Forgot password?" request does the same work whether or not the account exists.
    notify: true,
    retryLimit: 3,
    retryDelay: 2,
    retryBackoff: true,
    expireInSeconds: 60,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    deadLetter: DEAD_LETTER_QUEUE,
  },
  'tickets.name-changed': {
    // Woken at commit of the rename, then of each batch (renamed-tickets.server.ts). A batch is
    // one short transaction and safe to run again: retried over about a minute, then a dead letter.
    notify: true,
    retryLimit: 5,
    retryDelay: 2,
    retryBackoff: true,
    retryDelayMax: 60,
    expireInSeconds: 60,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    deadLetter: DEAD_LETTER_QUEUE,
  },
  'sessions.cleanup': {
    notify: true,
    retryLimit: 2,
    retryDelay: 30,
    expireInSeconds: 15 * 60,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    deadLetter: DEAD_LETTER_QUEUE,
  },
  'files.cleanup': {
    notify: true,
    retryLimit: 2,
    retryDelay: 60,
    expireInSeconds: 60 * 60,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    deadLetter: DEAD_LETTER_QUEUE,
  },
  'email.inbound-retention': {
    // Nightly; idempotent (a post already forgotten is skipped), so a retry is harmless.
    notify: true,
    retryLimit: 2,
    retryDelay: 60,
    expireInSeconds: 60 * 60,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    deadLetter: DEAD_LETTER_QUEUE,
  },
}

export type QueueOptions = {
  /**
   * Hold a LISTEN connection so workers wake on NOTIFY. Only worth a connection where workers
   * run; defaults to RUN_WORKER.
   */
  listen?: boolean
  /** How often expired and heartbeat-lost jobs are put back to retry. Tests shorten it. */
  superviseIntervalSeconds?: number
}

const store = globalThis as unknown as {
  __switchboardBoss?: PgBoss
  __switchboardRunningJobs?: Set<Promise<unknown>>
  __switchboardQueueStopping?: AbortController
}
/** Job handlers running in this process (trackHandler): a stop lets them record how they ended. */
const running = (store.__switchboardRunningJobs ??= new Set<Promise<unknown>>())

/** Starts pg-boss (creating its schema and our queues on first run). One per process. */
export async function startQueue(databaseUrl: string, options: QueueOptions = {}) {
  if (store.__switchboardBoss) return store.__switchboardBoss
  const supervise = options.superviseIntervalSeconds ?? SUPERVISE_SECONDS
  const boss = new PgBoss({
    connectionString: databaseUrl,
    // Fetches, completions and heartbeats of each worker loop, plus supervision.
    max: 6,
    schema: 'pgboss',
    useListenNotify: options.listen ?? env().runWorker,
    // Expiry and lost heartbeats are checked per queue at most every monitorIntervalSeconds, on
    // the supervise timer: both short, so a crashed worker's job is retried within a minute.
    superviseIntervalSeconds: supervise,
    monitorIntervalSeconds: supervise,
  })
  // Covers the pool and the LISTEN connection too: pg-boss reconnects LISTEN by itself (with
  // backoff) and reports each loss here instead of crashing the process. A lost or refused
  // connection is the database being away (its own line, as the pools log it), not a fault here:
  // a restart of PostgreSQL made a dozen error-level lines with stacks.
  boss.on('error', (error) => {
    if (isDatabaseUnavailable(error)) {
      const { code, message } = error as { code?: unknown; message?: unknown }
      logger().warn({ pool: 'jobs', code, message }, 'job queue lost its database connection')
    } else logger().error({ err: error }, 'job queue error')
  })
  await boss.start()
  await boss.createQueue(DEAD_LETTER_QUEUE, { retentionSeconds: DEAD_LETTER_RETENTION_SECONDS })
  await boss.updateQueue(DEAD_LETTER_QUEUE, { retentionSeconds: DEAD_LETTER_RETENTION_SECONDS })
  for (const name of JOB_NAMES) {
    // createQueue does nothing for an existing queue, so updateQueue brings older ones up to date.
    await boss.createQueue(name, QUEUE_SETTINGS[name])
    await boss.updateQueue(name, QUEUE_SETTINGS[name])
  }
  store.__switchboardBoss = boss
  store.__switchboardQueueStopping = new AbortController()
  return boss
}

/**
 * Aborted the moment a stop begins, before pg-boss's grace: a handler starts no new work once it
 * is (an email not yet on its way to SendGrid is given back, not begun and then cut off at the
 * grace's end). `job.signal` is aborted only at the grace's end, to cut off work under way.
 */
export function queueStopping(): AbortSignal {
  return (store.__switchboardQueueStopping ??= new AbortController()).signal
}

export function queue() {
  if (!store.__switchboardBoss) throw new Error('Job queue not started: call startQueue() first')
  return store.__switchboardBoss
}

/**
 * How long a stop waits for running handlers before pg-boss fails their jobs (retried on the next
 * start) and aborts their `job.signal`: under the shutdown's 4 s queue step (server.ts), so the
 * step ends by itself. It was 10 s: a webhook POST to a slow receiver (up to 10 s) made every such
 * shutdown overrun the step, and the pool was then closed under jobs that had answered but not
 * recorded it (sent again after the restart).
 */
export const QUEUE_STOP_GRACE_MS = 3_000

/**
 * How long a stop then waits for the handlers whose signal it aborted to return: they write how
 * they ended (an email send cut off notes it on its row) on the app's pool, which the shutdown
 * closes next. Grace plus this stays under the 4 s queue step.
 */
export const QUEUE_SETTLE_MS = 500

export async function stopQueue() {
  const boss = store.__switchboardBoss
  store.__switchboardBoss = undefined
  dueWakers.clear()
  if (!boss) return
  store.__switchboardQueueStopping?.abort()
  await boss.stop({ graceful: true, timeout: QUEUE_STOP_GRACE_MS })
  if (running.size === 0) return
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    Promise.allSettled([...running]),
    new Promise((resolve) => (timer = setTimeout(resolve, QUEUE_SETTLE_MS))),
  ])
  clearTimeout(timer)
}

/**
 * Puts jobs this process fetched and never began back to `created`, their attempt not spent (what
 * pg-boss's own restore does, which PgBoss does not expose): a worker that sees a stop begin gives
 * back what it had not started, for another instance or the restart. Their handler's result no
 * longer lands (pg-boss settles only an attempt still `active`).
 */
export async function giveBackJobs(boss: PgBoss, name: JobName, ids: string[]) {
  await boss.getDb().executeSql(
    `update pgboss.job set state = 'created', started_on = null, heartbeat_on = null, upsert_by_key = null
     where name = $1 and id = any($2::uuid[]) and state = 'active'`,
    [name, ids],
  )
}

/** Wraps a job handler so a stop waits (QUEUE_SETTLE_MS at most) for its runs to return. */
export function trackHandler<A extends unknown[], R>(handler: (...args: A) => Promise<R>) {
  return (...args: A): Promise<R> => {
    const run = handler(...args)
    running.add(run)
    void run.then(
      () => running.delete(run),
      () => running.delete(run),
    )
    return run
  }
}

/**
 * Registers `loops` pg-boss workers of the queue, each fetching again as soon as it settled a
 * fetch that found jobs (woken by id: `notifyWorker`), and sleeping its poll interval only after
 * a fetch that found none (or failed: a database outage backs off instead of spinning). pg-boss
 * itself waits the interval after every batch, full or not, unless a NOTIFY arrived meanwhile:
 * a backlog queued while no worker ran, or by another process before a restart, went one batch
 * per `notifyPollingIntervalSeconds` (300 inbound emails SendGrid re-posted after an outage were
 * filed 4 every 5 s, each batch done in 0.3 s). Once a stop began, no loop wakes itself. Handlers
 * are tracked (trackHandler). Returns the workers' ids.
 */
export async function workLoops<N extends JobName, R>(
  boss: PgBoss,
  name: N,
  options: WorkOptions & { includeMetadata: true },
  handler: (jobs: JobWithMetadata<JobPayloads[N]>[]) => Promise<R>,
  loops = 1,
) {
  const stopping = queueStopping()
  const ids: string[] = []
  for (let i = 0; i < loops; i++) {
    let id = ''
    id = await boss.work<JobPayloads[N], R, WorkOptions & { includeMetadata: true }>(
      name,
      options,
      trackHandler(async (jobs: JobWithMetadata<JobPayloads[N]>[]) => {
        try {
          return await handler(jobs)
        } finally {
          if (jobs.length > 0 && !stopping.aborted) boss.notifyWorker(id)
        }
      }),
    )
    ids.push(id)
  }
  return ids
}

/**
 * pg-boss's statements on the caller's transaction, each a named prepared statement: the job
 * insert is a large statement (json_to_recordset, the queue's defaults joined in, the NOTIFY)
 * that cost more to parse and plan than to run, on every ticket, reply and email. Its text
 * depends only on the queue, so each queue's insert is planned once per connection. Values are
 * bound as they are (node-postgres sends an array as a PostgreSQL array).
 */
function onTransaction(tx: DbOrTx) {
  return {
    executeSql: async (text: string, values: unknown[] = []) => {
      const result = await executePreparedText(tx, { sql: text, params: values })
      return { rows: result.rows }
    },
  }
}

/**
 * Enqueues a job on the given transaction: the job exists exactly when the transaction
 * commits, so a rolled-back write never leaves a side effect behind.
 */
export async function enqueue<N extends JobName>(
  tx: DbOrTx,
  name: N,
  data: JobPayloads[N],
  options: {
    /** The job's id (a UUID), when the caller records it beside the work (emails.job_id). */
    id?: string
    /** Not before this many seconds from now (a Retry-After). */
    startAfterSeconds?: number
    /**
     * The job's group: a worker with `groupConcurrency` runs that many of a group's jobs at once,
     * across instances (webhook deliveries: one per endpoint).
     */
    group?: string
  } = {},
) {
  const id = await queue().send(name, data, {
    db: onTransaction(tx),
    ...(options.id ? { id: options.id } : {}),
    ...(options.group ? { group: { id: options.group } } : {}),
    ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
  })
  if (options.startAfterSeconds) wakeWhenDue(name, options.startAfterSeconds)
  return id
}

/**
 * A delayed job (an undo-send hold, a webhook's or an email's retry) sends no NOTIFY when it
 * comes due, only when it is enqueued, when it is not ready yet: its worker found it on its next
 * backstop poll, up to that many seconds late (an undo send went 2–5 s after its window). When
 * this process runs that queue's worker, a timer wakes it just after the job is due; its
 * `start_after` is the transaction's `now()` plus the delay, so the timer, started after the
 * insert, is never early. Other processes' jobs, and delays too long to hold a timer for, rely
 * on the queue's backstop poll (`notifyPollingIntervalSeconds` in worker.server.ts).
 */
const dueWakers = new Map<JobName, () => void>()
const WAKE_WHEN_DUE_MAX_SECONDS = 120
const WAKE_MARGIN_MS = 25

/**
 * Called by the worker for its queues: how to wake that queue's worker in this process. Returns
 * the waker it replaces (tests stand in for another process's enqueue with a no-op).
 */
export function registerDueWaker(name: JobName, wake: () => void) {
  const replaced = dueWakers.get(name)
  dueWakers.set(name, wake)
  return replaced
}

function wakeWhenDue(name: JobName, seconds: number) {
  const boss = store.__switchboardBoss
  if (!dueWakers.has(name) || seconds > WAKE_WHEN_DUE_MAX_SECONDS) return
  setTimeout(
    () => {
      // Not after a stop (or a restart of the queue in tests): that worker is gone.
      if (store.__switchboardBoss === boss) dueWakers.get(name)?.()
    },
    seconds * 1000 + WAKE_MARGIN_MS,
  ).unref()
}

/**
 * Moves a job that has not begun to now, in the caller's transaction: its queue's NOTIFY at commit
 * wakes the workers of every process listening (pg-boss's update, which leaves a job already
 * fetched alone). An email waiting behind an earlier one of its ticket, when that one finishes.
 */
export async function wakeJob(tx: DbOrTx, name: JobName, id: string) {
  await queue().update(name, undefined, { id, startAfter: 0, db: onTransaction(tx) })
}

/** Deletes a job that has not run yet, in the caller's transaction (undo send). */
export async function deleteJob(tx: DbOrTx, name: JobName, id: string) {
  await queue().deleteJob(name, id, { db: onTransaction(tx) })
}
