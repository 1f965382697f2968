import fs from 'node:fs'
import path from 'node:path'

import { readSecretFile } from './secret-file.ts'

// The embedded server's only role, a superuser. It listens on loopback TCP (for tools that only
// speak TCP), where any local user could connect: its password is random, one per DATA_DIR, in
// DATA_DIR/postgres.password (mode 600; db/embedded.ts makes it and sets it on every start).
export const EMBEDDED_USER = 'switchboard'
/** The password every embedded cluster had before it got its own; replaced on their next start. */
export const LEGACY_EMBEDDED_PASSWORD = 'switchboard'

/** The file that holds the password of the embedded cluster in `databaseDir`. */
export function embeddedPasswordFile(databaseDir: string) {
  return `${databaseDir}.password`
}

/**
 * The password of the running embedded cluster in `databaseDir`, for a script beside the server:
 * its file, or the legacy one when a server from before the file existed is running it.
 */
export function runningEmbeddedPassword(databaseDir: string) {
  return readSecretFile(embeddedPasswordFile(databaseDir)) ?? LEGACY_EMBEDDED_PASSWORD
}

/**
 * Where the embedded server also listens on a Unix-domain socket (`.s.PGSQL.<port>` in it), or
 * undefined where there are none (Windows). /tmp is there and writable for the `postgres` user
 * that runs the server under root, unlike a private TMPDIR, and keeps the socket's path far under
 * the 107-byte limit, unlike DATA_DIR.
 */
export const EMBEDDED_SOCKET_DIR = process.platform === 'win32' ? undefined : '/tmp'

/**
 * The embedded server's URL. With a socket directory, node-postgres connects through the socket
 * (`host` in the query wins over the URL's host): on the bench machine a statement's round trip
 * costs the client 71 µs of CPU over the socket against 116 µs over loopback TCP, and 16
 * connections run 11,100 statements/s against 6,900. The host and port stay in the URL for tools
 * that only speak TCP (the server listens on both).
 */
export function embeddedDatabaseUrl(
  port: number,
  database: string,
  password: string,
  socketDir = EMBEDDED_SOCKET_DIR,
) {
  const url = `postgres://${EMBEDDED_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`
  return socketDir ? `${url}?host=${encodeURIComponent(socketDir)}` : url
}

/** `socketDir` is where the running server put its Unix-domain socket, if it made one. */
export type RunningPostmaster = { pid: number; port: number; socketDir?: string }

/**
 * The PostgreSQL server that holds `databaseDir` right now, if any: its postmaster.pid names a
 * live postgres process. PostgreSQL refuses to start a second server on the same directory, so
 * a caller either connects to this one (its port is line 4 of the file) or says it is in use.
 * A pid file left by a killed server whose pid is dead (or reused by another program) reads as
 * none. Layout of the file: src/include/utils/pidfile.h in the PostgreSQL sources.
 */
export function findRunningPostmaster(databaseDir: string): RunningPostmaster | undefined {
  let lines: string[]
  try {
    lines = fs.readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')
  } catch {
    return undefined
  }
  const pid = Number(lines[0])
  const port = Number(lines[3])
  // Line 5: the first socket directory, empty when the server listens on TCP only.
  const socketDir = lines[4]?.trim() || undefined
  if (!isPostgresProcess(pid)) return undefined
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined
  return { pid, port, socketDir }
}

/** Whether `pid` is a live process and, where /proc says what it runs, a postgres one. */
export function isPostgresProcess(pid: number) {
  if (!isProcessAlive(pid)) return false
  try {
    // After a crash and a reboot (or in a container), the old pid often belongs to another program.
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres'
  } catch {
    return true // no /proc (macOS): trust the signal check
  }
}

export function isProcessAlive(pid: number) {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to another user (postgres runs as its own user under root).
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
