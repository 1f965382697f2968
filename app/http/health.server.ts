import type { RequestHandler } from 'express'
import { database } from '#db/client.ts'
import { migrationsApplied } from '#db/migrate.ts'
import { countDeadLetters } from '#app/jobs/dead-letters.server.ts'

/** How long /readyz waits for the database: an orchestrator's probe must get an answer. */
export const READYZ_BUDGET_MS = 2_000

let stopping = false

/**
 * From now on /readyz answers 503 `{"status":"stopping"}`: the process has been told to stop,
 * and a load balancer that checks readiness should send its new connections elsewhere.
 * /healthz (liveness) stays 200 until the process exits.
 */
export function markStopping() {
  stopping = true
}

export const healthz: RequestHandler = (_req, res) => {
  res.json({ status: 'ok', uptime: Math.round(process.uptime()) })
}

/**
 * Not ready once the process is stopping (markStopping). Otherwise ready when the database
 * answers within READYZ_BUDGET_MS and every migration is applied. A database that is down,
 * refuses connections or does not answer (frozen, partitioned) gives 503
 * `{"database":"unreachable"}` within the budget.
 */
export const readyz: RequestHandler = async (_req, res) => {
  if (stopping) {
    res.status(503).json({ status: 'stopping' })
    return
  }
  let timer: NodeJS.Timeout | undefined
  const budget = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), READYZ_BUDGET_MS)
  })
  const started = Date.now()
  try {
    // The race also covers waiting for a connection (the pool's connect timeout may be longer).
    const check = migrationsApplied(database().pool, READYZ_BUDGET_MS)
    check.catch(() => {})
    const applied = await Promise.race([check, budget])
    if (applied === 'timeout') {
      res.status(503).json({ status: 'unavailable', database: 'unreachable' })
      return
    }
    if (!applied) {
      res.status(503).json({ status: 'unavailable', database: 'ok', migrations: 'pending' })
      return
    }
    // Jobs that exhausted their retries, in what is left of the budget (null if not counted in
    // time): never a reason to be unready.
    const deadLetters = await countDeadLetters(READYZ_BUDGET_MS - (Date.now() - started))
    res.json({ status: 'ok', database: 'ok', migrations: 'applied', jobs: { deadLetters } })
  } catch {
    res.status(503).json({ status: 'unavailable', database: 'unreachable' })
  } finally {
    clearTimeout(timer)
  }
}
