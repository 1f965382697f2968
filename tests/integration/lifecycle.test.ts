import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { embeddedDatabaseUrl, runningEmbeddedPassword } from '#db/running-postgres.ts'
import {
  killServers,
  postForm,
  signalAndWait,
  startServer,
  type ServerProcess,
} from '#tests/helpers/server-process.ts'
import { waitFor } from '#tests/helpers/wait.ts'

// The production build with its own embedded PostgreSQL in a temporary DATA_DIR: crashes,
// signals, a frozen database and unusable data directories, as an operator meets them.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-lifecycle-'))
fs.chmodSync(dataDir, 0o755) // as root, PostgreSQL runs as the postgres user and must reach its directory
const pgDir = path.join(dataDir, 'postgres')
const mounts: string[] = []

afterAll(() => {
  killServers()
  const leftover = postmasterPid()
  if (leftover && isRunning(leftover)) {
    for (const pid of [leftover, ...childrenOf(leftover)]) signal(pid, 'SIGCONT')
    signal(leftover, 'SIGQUIT')
  }
  for (const mount of mounts) {
    execFileSync('umount', [mount])
    fs.rmSync(mount, { recursive: true, force: true })
  }
  fs.rmSync(dataDir, { recursive: true, force: true })
})

function start(options: Partial<Parameters<typeof startServer>[0]> = {}) {
  return startServer({ dataDir, ...options })
}

function postmasterPid() {
  try {
    return Number(fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0])
  } catch {
    return undefined
  }
}

function isRunning(pid: number) {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
}

function childrenOf(pid: number) {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((candidate) => {
      try {
        const stat = fs.readFileSync(`/proc/${candidate}/stat`, 'utf8')
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid
      } catch {
        return false
      }
    })
}

function processGroupOf(pid: number) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name)
  } catch {
    // gone
  }
}

const account = { email: 'operator@example.org', password: 'correct horse battery staple' }

function login(server: ServerProcess) {
  return postForm(new http.Agent(), `${server.url}/login`, account, { origin: server.url })
}

// Generous timeouts: initdb and server starts take seconds on a busy machine.
describe('process lifecycle with the embedded PostgreSQL', { timeout: 60_000 }, () => {
  it('starts again after a kill -9: stops the leftover PostgreSQL first, and the data is still there', async () => {
    const first = await start()
    const signup = await postForm(
      new http.Agent(),
      `${first.url}/signup`,
      { name: 'Olive Operator', ...account, workspaceName: 'Lifecycle', workspaceSlug: 'lifecycle' },
      { origin: first.url },
    )
    expect(signup).toEqual({ kind: 'answered', status: 302 })
    const leftover = postmasterPid()!
    first.child.kill('SIGKILL')
    await first.exited
    expect(isRunning(leftover)).toBe(true) // PostgreSQL outlives a killed server

    const second = await start()
    expect(isRunning(leftover)).toBe(false)
    expect(second.output()).toContain(`stopping a leftover embedded PostgreSQL (pid ${leftover})`)
    expect(await login(second)).toEqual({ kind: 'answered', status: 302 })
    const running = postmasterPid()!
    expect(await signalAndWait(second)).toMatchObject({ code: 0 })
    expect(isRunning(running)).toBe(false)
  })

  it('starts its PostgreSQL again when it is killed under the running server, and serves again', async () => {
    const server = await start()
    const killed = postmasterPid()!
    process.kill(killed, 'SIGKILL')
    await waitFor(() => server.output().includes('embedded PostgreSQL is running again'), 30_000)
    const restarted = postmasterPid()!
    expect(restarted).not.toBe(killed)
    expect(isRunning(restarted)).toBe(true)
    expect(server.output()).toContain('exited on its own (code null, signal SIGKILL)')
    // The pool drops its dead connections and the data is all there: a sign-in works.
    await waitFor(async () => (await login(server)).kind === 'answered', 15_000)
    expect(await login(server)).toEqual({ kind: 'answered', status: 302 })
    // Once, in a whole-suite run, this shutdown ended with code 1 (a step forced or failed):
    // the server's last lines say which.
    const stopped = await signalAndWait(server)
    expect(stopped, server.output().split('\n').slice(-25).join('\n')).toMatchObject({ code: 0 })
    expect(isRunning(restarted)).toBe(false)
  })

  it('stops cleanly while the live layer is reconnecting to its database (as after a restart)', async () => {
    const server = await start({
      env: {
        // The adapter's debug lines say when it starts connecting; a connect may wait on the frozen
        // postmaster below as long as it needs.
        DEBUG: 'socket.io-postgres-adapter',
        DATABASE_CONNECT_TIMEOUT_MS: '30000',
        LOG_LEVEL: 'info',
      },
    })
    const postmaster = postmasterPid()!
    const port = Number(fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[3])
    const admin = new pg.Client({
      connectionString: embeddedDatabaseUrl(port, 'switchboard', runningEmbeddedPassword(pgDir)),
    })
    admin.on('error', () => {}) // ended before the shutdown
    await admin.connect()
    await waitFor(
      async () =>
        (await admin.query(`select 1 from pg_stat_activity where query like 'LISTEN "socket.io#%'`))
          .rowCount === 1,
    )
    // Every connection of the server is lost, as in a PostgreSQL restart, and the postmaster is
    // frozen: the Socket.IO adapter's reconnect (1-3 s later) waits for its connection. The
    // shutdown begins meanwhile, and the connection arrives just after the adapter has closed: the
    // order that two whole-suite runs met by chance, when the shutdown exited with code 1.
    const connecting = () => server.output().split('acquiring client from the pool').length - 1
    const before = connecting()
    await admin.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where backend_type = 'client backend' and pid <> pg_backend_pid()`,
    )
    await admin.end()
    process.kill(postmaster, 'SIGSTOP')
    try {
      await waitFor(() => connecting() > before, 10_000)
      server.child.kill('SIGTERM')
      await waitFor(() => server.output().includes('"msg":"shutting down"'))
      await new Promise((r) => setTimeout(r, 300))
    } finally {
      process.kill(postmaster, 'SIGCONT')
    }
    const { code } = await server.exited
    expect(code, server.output().split('\n').slice(-25).join('\n')).toBe(0)
    expect(server.output()).not.toContain('did not finish in time')
    expect(isRunning(postmaster)).toBe(false)
  })

  it('starts when postmaster.pid names a live process that is not its PostgreSQL (a reused pid)', async () => {
    fs.writeFileSync(path.join(pgDir, 'postmaster.pid'), `${process.pid}\n${pgDir}\n0\n5432\n\n\n`)
    const server = await start()
    expect(await login(server)).toEqual({ kind: 'answered', status: 302 })
    expect(await signalAndWait(server)).toMatchObject({ code: 0 })
  })

  it('explains a PostgreSQL that fails to start with the last lines of its log', async () => {
    const conf = path.join(pgDir, 'postgresql.conf')
    const original = fs.readFileSync(conf)
    fs.appendFileSync(conf, '\nswitchboard_bogus_setting = on\n')
    try {
      const server = await start({ waitReady: false })
      const { code } = await server.exited
      expect(code).toBe(1)
      expect(server.output()).toContain('unrecognized configuration parameter "switchboard_bogus_setting"')
      expect(server.output()).toContain(path.join(dataDir, 'postgres.log'))
      expect(server.output()).not.toMatch(/\bundefined\b/)
    } finally {
      fs.writeFileSync(conf, original)
    }
  })

  it('npm start: SIGTERM to npm stops the server and its PostgreSQL', async () => {
    const server = await start({ command: ['npm', 'start'], detached: true })
    const [node] = childrenOf(server.child.pid!)
    const postgres = postmasterPid()!
    expect(node).toBeDefined()
    process.kill(server.child.pid!, 'SIGTERM')
    const { code } = await server.exited
    expect(code).toBe(0)
    await waitFor(() => !isRunning(node!) && !isRunning(postgres))
  })

  it('npm run dev: SIGTERM to the server (as pkill sends it) stops it and its PostgreSQL', async () => {
    // Development runs Vite, whose Remix child compiler adds a SIGTERM handler that exits at once:
    // the shutdown must still drain, close the pool and stop PostgreSQL.
    const server = await start({ command: ['npm', 'run', 'dev'], detached: true })
    const [node] = childrenOf(server.child.pid!)
    const postgres = postmasterPid()!
    expect(node).toBeDefined()
    expect(fs.readFileSync(`/proc/${node}/cmdline`, 'utf8')).toContain('server.ts')
    process.kill(node!, 'SIGTERM')
    const { code } = await server.exited
    expect(code, server.output().split('\n').slice(-25).join('\n')).toBe(0)
    await waitFor(() => !isRunning(postgres))
  })

  it('Ctrl-C under load reaches the server, not PostgreSQL (its own process group); requests in flight finish', async () => {
    const server = await start({ command: ['npm', 'start'], detached: true })
    const postgres = postmasterPid()!
    expect(processGroupOf(postgres)).not.toBe(server.child.pid)
    const agent = new http.Agent({ keepAlive: true })
    let answered = 0
    const inFlight = Array.from({ length: 12 }, (_, i) =>
      // One address each: the sign-in limits (per address) stay out of the way.
      postForm(agent, `${server.url}/login`, account, {
        origin: server.url,
        'x-forwarded-for': `10.9.0.${i + 1}`,
      }).then((outcome) => {
        if (outcome.kind === 'answered') answered += 1
        return outcome
      }),
    )
    await waitFor(() => answered >= 2) // the rest are being hashed and checked right now
    process.kill(-server.child.pid!, 'SIGINT') // what a terminal does on Ctrl-C
    const outcomes = await Promise.all(inFlight)
    agent.destroy()
    expect(outcomes.filter((o) => o.kind !== 'answered')).toEqual([])
    expect(outcomes.every((o) => o.kind === 'answered' && o.status === 302)).toBe(true)
    expect((await server.exited).code).toBe(0)
    await waitFor(() => !isRunning(postgres))
    const log = fs.readFileSync(path.join(dataDir, 'postgres.log'), 'utf8')
    expect(log).toContain('received fast shutdown request')
  })

  it('exits within the grace period after the database froze', async () => {
    const server = await start()
    const postgres = postmasterPid()!
    for (const pid of [postgres, ...childrenOf(postgres)]) process.kill(pid, 'SIGSTOP')
    const { ms, code } = await signalAndWait(server)
    const forced = [...server.output().matchAll(/"step":"([^"]+)"/g)].map((m) => m[1])
    console.log(JSON.stringify({ test: 'sigterm-after-database-froze', exitMs: ms, code, forced }))
    expect(ms).toBeLessThan(12_000)
    // Whatever had to be forced is named in the log, and the exit code says so.
    expect(code).toBe(forced.length > 0 ? 1 : 0)
    await waitFor(() => !isRunning(postgres))
  })

  it('says plainly that a read-only DATA_DIR is read-only', async (context) => {
    const readOnly = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-readonly-'))
    mounts.push(readOnly)
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', readOnly], { stdio: 'ignore' })
    } catch {
      mounts.pop()
      // Root writes through file modes: without a read-only mount there is nothing to test.
      if (process.getuid?.() === 0) return context.skip('cannot mount a read-only file system here')
      fs.chmodSync(readOnly, 0o555)
    }
    const variants: Record<string, string>[] = [
      {},
      { SESSION_SECRET: 'a-session-secret-that-is-long-enough-0123456789' },
    ]
    for (const env of variants) {
      const server = await start({ dataDir: readOnly, env, waitReady: false })
      expect((await server.exited).code).toBe(1)
      expect(server.output()).toMatch(
        new RegExp(`DATA_DIR ${readOnly} is (on a read-only file system|not writable)`),
      )
      expect(server.output()).not.toMatch(/\bundefined\b/)
    }
  })
})
