import fs from 'node:fs'
import type { Server } from 'node:http'
import type { Socket } from 'node:net'

import type { TrustProxy } from '#app/http/security.server.ts'
import { reportedAtMostEvery } from './rare-report.server.ts'

const REFUSAL_BODY = 'Too many open connections from your address. Try again in a few seconds.\n'
/** The answer to a connection over its address's cap: plain HTTP/1.1, readable before the close. */
const REFUSAL =
  'HTTP/1.1 503 Service Unavailable\r\n' +
  'Content-Type: text/plain; charset=utf-8\r\n' +
  'Retry-After: 5\r\n' +
  'Connection: close\r\n' +
  `Content-Length: ${Buffer.byteLength(REFUSAL_BODY)}\r\n` +
  '\r\n' +
  REFUSAL_BODY

/** File descriptors kept for everything that is not a client connection (database pools, files, logs). */
export const DESCRIPTOR_RESERVE = 1_000

/**
 * How many client connections the process may hold at once: its open-files limit less a reserve,
 * so that a flood of connections (slowloris) cannot take the descriptors the database pool,
 * uploads and the log need. At least half the limit. Undefined when the limit cannot be read
 * (not Linux), which leaves Node's default (no cap).
 */
export function connectionCeiling(limitsText: string | undefined): number | undefined {
  const line = limitsText?.split('\n').find((l) => l.startsWith('Max open files'))
  const soft = line ? Number(line.slice('Max open files'.length).trim().split(/\s+/)[0]) : NaN
  if (!Number.isSafeInteger(soft) || soft <= 0) return undefined
  return Math.max(Math.floor(soft / 2), soft - DESCRIPTOR_RESERVE)
}

function readLimits() {
  try {
    return fs.readFileSync('/proc/self/limits', 'utf8')
  } catch {
    return undefined
  }
}

export type ConnectionGuardOptions = {
  /** Open connections one client address may hold; 0 turns the cap off. */
  maxPerAddress: number
  /** The whole server's cap (undefined: from the open-files limit). */
  maxConnections?: number
  /** Peers this trusts as proxies (TRUST_PROXY): their connections carry many clients and are not capped. */
  trust: TrustProxy
  /** Called at most once a minute per address while its connections are refused. */
  onRefused?: (address: string, refusedSinceLastReport: number) => void
  onDropped?: (droppedSinceLastReport: number) => void
}

/**
 * Caps what one client address can hold open, and the server's connections as a whole, so one
 * host opening thousands of idle or slow connections cannot exhaust the process's file
 * descriptors and lock everyone else out (with them, the database's and the health probe's).
 *
 * A connection over its address's cap is answered `503` with `Retry-After` and closed before
 * anything of it is read. Over the server's cap, Node drops the connection (its `'drop'` event).
 * Connections from a trusted proxy are not counted per address: the proxy speaks for many clients
 * and limits them itself; the server's cap still applies.
 */
export function guardConnections(server: Server, options: ConnectionGuardOptions) {
  const maxConnections = options.maxConnections ?? connectionCeiling(readLimits())
  if (maxConnections !== undefined) server.maxConnections = maxConnections

  const open = new Map<string, number>()
  const refused = new Map<string, { count: number; reportedAt: number }>()

  const report = (address: string) => {
    const entry = refused.get(address) ?? { count: 0, reportedAt: 0 }
    entry.count += 1
    refused.set(address, entry)
    const now = Date.now()
    if (now - entry.reportedAt < 60_000) return
    options.onRefused?.(address, entry.count)
    entry.count = 0
    entry.reportedAt = now
  }
  // Forget addresses that stopped being refused, so the map stays as small as the attack.
  const sweep = setInterval(() => {
    const now = Date.now()
    for (const [address, entry] of refused) {
      if (entry.count === 0 && now - entry.reportedAt >= 60_000) refused.delete(address)
    }
  }, 60_000)
  sweep.unref()
  server.once('close', () => clearInterval(sweep))

  const reportDropped = reportedAtMostEvery(60_000, (count) => options.onDropped?.(count))
  server.on('drop', () => reportDropped(undefined))

  if (options.maxPerAddress <= 0) return { maxConnections }

  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress
    if (address === undefined || options.trust(address, 0)) return
    const count = (open.get(address) ?? 0) + 1
    if (count > options.maxPerAddress) {
      // Nothing of this connection is parsed: paused before its first byte is read, answered,
      // closed once the answer is written.
      socket.pause()
      socket.on('error', () => {})
      socket.end(REFUSAL, () => socket.destroy())
      report(address)
      return
    }
    open.set(address, count)
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1
      if (left <= 0) open.delete(address)
      else open.set(address, left)
    })
  })
  return { maxConnections }
}
