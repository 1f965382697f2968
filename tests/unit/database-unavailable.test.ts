import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { isDatabaseUnavailable } from '#app/http/database-outage.server.ts'

/** The error pg gives for a connection to `host`, a socket directory or an address. */
async function connectError(config: pg.ClientConfig) {
  const client = new pg.Client({
    ...config,
    user: 'nobody',
    database: 'none',
    connectionTimeoutMillis: 2_000,
  })
  client.on('error', () => {})
  try {
    await client.connect()
  } catch (error) {
    return error
  } finally {
    await client.end().catch(() => {})
  }
  throw new Error('expected the connection to fail')
}

describe('isDatabaseUnavailable', () => {
  it('a stopped PostgreSQL behind a Unix socket (its socket file removed) is an outage, not a fault', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-no-socket-'))
    try {
      const error = await connectError({ host: dir, port: 5432 })
      expect(error).toMatchObject({ code: 'ENOENT', syscall: 'connect' })
      expect(isDatabaseUnavailable(error)).toBe(true)
      // Wrapped as Drizzle wraps driver errors.
      expect(isDatabaseUnavailable(new Error('Failed query', { cause: error }))).toBe(true)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a refused TCP connection is an outage', async () => {
    const error = await connectError({ host: '127.0.0.1', port: 1 })
    expect(isDatabaseUnavailable(error)).toBe(true)
  })

  it('a missing file or directory elsewhere is not', async () => {
    const error = await fs.promises.readFile('/nonexistent/attachment').catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ENOENT' })
    expect(isDatabaseUnavailable(error)).toBe(false)
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false)
  })
})

describe("pg-boss's LISTEN connection", () => {
  it('losing it to a database that stopped answering is an outage (logged as a warning), not a fault', () => {
    // The errors pg-boss's db.js emits on its 'error' event when its heartbeat query gets no answer
    // in time (a frozen or partitioned database) or the connection ends; it reconnects by itself.
    expect(isDatabaseUnavailable(new Error('LISTEN/NOTIFY heartbeat timed out'))).toBe(true)
    expect(isDatabaseUnavailable(new Error('LISTEN/NOTIFY connection ended'))).toBe(true)
    expect(isDatabaseUnavailable(new Error('LISTEN/NOTIFY channel registration was lost'))).toBe(false)
  })
})
