import path from 'node:path'
import { EmbeddedPostgresError, readOnlyMessage } from '#db/embedded.ts'

/**
 * What an operator reads when the server cannot start: the real reason in one message, never
 * `undefined` (some libraries reject with nothing) and never a bare errno for a read-only DATA_DIR.
 */
export function describeStartupError(error: unknown, dataDir: string): string {
  if (error instanceof EmbeddedPostgresError) return error.message
  const errno = error as NodeJS.ErrnoException | undefined
  const root = path.resolve(dataDir)
  if (
    errno &&
    (errno.code === 'EROFS' || errno.code === 'EACCES' || errno.code === 'EPERM') &&
    typeof errno.path === 'string' &&
    path.resolve(errno.path).startsWith(root)
  ) {
    return readOnlyMessage(root, errno)
  }
  if (errno && (errno.code === 'ENOSPC' || errno.code === 'EDQUOT')) {
    const what = errno.code === 'ENOSPC' ? 'The disk is full' : 'The disk quota is used up'
    return (
      `${what} (${errno.code} writing ${errno.path ?? `in DATA_DIR ${root}`}). ` +
      `Switchboard keeps the embedded PostgreSQL, its log, uploads and the session secret in DATA_DIR ${root}: ` +
      'free space on its disk (or point DATA_DIR at one with room) and start again.'
    )
  }
  const unreachable = databaseUnreachable(error)
  if (unreachable) return unreachable
  if (errno?.code === 'EADDRINUSE') {
    return `${errno.message}: another process (another Switchboard?) listens on that port. Stop it or set PORT.`
  }
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map((inner) => describeStartupError(inner, dataDir)).join('\n')
  }
  if (error instanceof Error) return error.stack ?? (error.message || error.name)
  if (error === undefined || error === null) {
    return 'an unknown error: something rejected without a reason (set LOG_LEVEL=debug and try again)'
  }
  if (typeof error === 'string') return error
  try {
    return JSON.stringify(error)
  } catch {
    return String(error)
  }
}

/** Errors of a connection to the database that cannot be made (pg's, or the network's). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
])

/**
 * A database that cannot be reached or refuses us, in plain words: the stack of pg's socket says
 * nothing an operator can act on. A PostgreSQL error (a SQLSTATE code) is its own message.
 */
function databaseUnreachable(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined
  const { code, address, hostname, port, severity } = error as NodeJS.ErrnoException & {
    address?: string
    hostname?: string
    port?: number
    severity?: string
  }
  const host = address ?? hostname
  const where = host ? ` at ${host}${port ? `:${port}` : ''}` : ''
  if (code && UNREACHABLE.has(code)) {
    return `the database${where} could not be reached (${code}): is PostgreSQL running there, and is DATABASE_URL right?`
  }
  if (
    /^Connection terminated due to connection timeout$|^timeout exceeded when trying to connect$/.test(
      error.message,
    )
  ) {
    return 'the database did not answer within DATABASE_CONNECT_TIMEOUT_MS: is PostgreSQL running, and is DATABASE_URL right?'
  }
  if (severity && code && /^[0-9A-Z]{5}$/.test(code))
    return `PostgreSQL refused: ${error.message} (SQLSTATE ${code})`
  return undefined
}
