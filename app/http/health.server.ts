import type { RequestHandler } from 'express'
import { database } from '#db/client.ts'
import { migrationsApplied } from '#db/migrate.ts'

export const healthz: RequestHandler = (_req, res) => {
  res.json({ status: 'ok', uptime: Math.round(process.uptime()) })
}

/** Ready when the database answers and every migration is applied. */
export const readyz: RequestHandler = async (_req, res) => {
  try {
    const applied = await migrationsApplied(database().pool)
    if (!applied) {
      res.status(503).json({ status: 'unavailable', database: 'ok', migrations: 'pending' })
      return
    }
    res.json({ status: 'ok', database: 'ok', migrations: 'applied' })
  } catch {
    res.status(503).json({ status: 'unavailable', database: 'unreachable' })
  }
}
