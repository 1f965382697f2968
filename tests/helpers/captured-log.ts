import type pino from 'pino'
import { createLogger } from '#app/logger.server.ts'

/**
 * Swaps the process logger (shared through globalThis by our modules and the Remix build) for one
 * with the same options that writes each JSON line into `lines`; `restore()` puts the previous one
 * back. Call it before the server under test starts.
 */
export function captureProcessLog() {
  const store = globalThis as unknown as { __switchboardLogger?: pino.Logger }
  const lines: string[] = []
  const saved = store.__switchboardLogger
  store.__switchboardLogger = createLogger('info', { write: (line: string) => void lines.push(line) })
  return {
    lines,
    restore: () => {
      store.__switchboardLogger = saved
    },
  }
}
