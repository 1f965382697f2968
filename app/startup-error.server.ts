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
