import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { Agent, fetch } from 'undici'
import {
  bareHost,
  checkWebhookUrl,
  forbiddenAddressReason,
  isAllowedHost,
  type WebhookPolicy,
} from './webhook-address.server.ts'

/**
 * The one way a webhook leaves: undici's own fetch (the npm package, not Node's bundled copy:
 * an undici 8 Agent handed to the global fetch fails with "invalid onRequestStart method")
 * through an Agent whose connect.lookup refuses internal addresses after DNS resolution, so a
 * name that resolves (or re-resolves, DNS rebinding) to 127.0.0.1 or 169.254.169.254 never gets
 * a socket. Redirects are not followed, the whole exchange has 10 s and at most 64 KB of the
 * response is read.
 */
export const WEBHOOK_TIMEOUT_MS = 10_000
export const MAX_RESPONSE_BYTES = 64 * 1024
/** How much of the response body is kept on the delivery row (the settings page shows it). */
export const SNIPPET_CHARS = 500

export type Resolver = (
  hostname: string,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void

const systemResolver: Resolver = (hostname, callback) =>
  dnsLookup(hostname, { all: true, verbatim: true }, callback)

/** Raised inside connect when a name resolves to an address webhooks may not reach. */
export class RefusedAddressError extends Error {
  override name = 'RefusedAddressError'
}

type LookupOptions = { family?: number | string; all?: boolean }
type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address?: string | LookupAddress[],
  family?: number,
) => void

/**
 * A `lookup` for net/tls.connect that resolves every address of the name and refuses the
 * connection if any of them is internal (not just the first: with autoSelectFamily Node tries
 * them all). Answers both the `all: true` form (Happy Eyeballs) and the single-address form.
 */
export function guardedLookup(resolve: Resolver = systemResolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    resolve(hostname, (error, resolved) => {
      if (error) return callback(error)
      const family =
        options.family === 4 || options.family === 'IPv4'
          ? 4
          : options.family === 6 || options.family === 'IPv6'
            ? 6
            : 0
      const addresses = family ? resolved.filter((a) => a.family === family) : resolved
      if (addresses.length === 0) {
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }))
      }
      for (const { address } of addresses) {
        const reason = forbiddenAddressReason(address)
        if (reason) return callback(new RefusedAddressError(`${hostname} resolves to ${address} (${reason})`))
      }
      if (options.all) return callback(null, addresses)
      callback(null, addresses[0]!.address, addresses[0]!.family)
    })
  }
}

const agents = new Map<Resolver | 'allowed', Agent>()

function agentFor(key: Resolver | 'allowed') {
  let agent = agents.get(key)
  if (!agent) {
    const connect = {
      timeout: WEBHOOK_TIMEOUT_MS,
      ...(key === 'allowed' ? {} : { lookup: guardedLookup(key) }),
    }
    agent = new Agent({ connect, headersTimeout: WEBHOOK_TIMEOUT_MS, bodyTimeout: WEBHOOK_TIMEOUT_MS })
    agents.set(key, agent)
  }
  return agent
}

export type WebhookAttempt =
  | { kind: 'response'; status: number; snippet: string; latencyMs: number }
  | { kind: 'refused'; reason: string; latencyMs: number }
  | { kind: 'error'; reason: string; latencyMs: number }

/**
 * POSTs one signed webhook. Never throws: the outcome (a response of any status, a refused
 * address, a network error or timeout) is what the delivery row records.
 */
export async function postWebhook(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  policy: WebhookPolicy,
  options: { resolver?: Resolver; signal?: AbortSignal } = {},
): Promise<WebhookAttempt> {
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  const check = checkWebhookUrl(rawUrl, policy)
  if (!check.ok) return { kind: 'refused', reason: check.reason, latencyMs: 0 }
  const allowed = isAllowedHost(check.url, policy)
  const dispatcher = agentFor(allowed ? 'allowed' : (options.resolver ?? systemResolver))
  try {
    const response = await fetch(check.url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'user-agent': 'Switchboard-Webhooks/1.0', ...headers },
      redirect: 'manual',
      dispatcher,
      signal: options.signal
        ? AbortSignal.any([AbortSignal.timeout(WEBHOOK_TIMEOUT_MS), options.signal])
        : AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    })
    const text = await readCapped(response.body)
    return {
      kind: 'response',
      status: response.status,
      snippet: text.slice(0, SNIPPET_CHARS),
      latencyMs: elapsed(),
    }
  } catch (error) {
    const cause = causeOf(error)
    if (cause instanceof RefusedAddressError)
      return { kind: 'refused', reason: cause.message, latencyMs: elapsed() }
    return {
      kind: 'error',
      reason: describeNetworkError(cause, bareHost(check.url.hostname)),
      latencyMs: elapsed(),
    }
  }
}

/** At most MAX_RESPONSE_BYTES of the body as text; the rest is never read (the stream is cancelled). */
async function readCapped(body: { getReader(): ReadableStreamDefaultReader<Uint8Array> } | null) {
  if (!body) return ''
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    while (size < MAX_RESPONSE_BYTES) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      size += value.byteLength
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
  return Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8')
}

function causeOf(error: unknown): unknown {
  let current = error
  for (let i = 0; i < 5 && current instanceof Error && current.cause; i++) {
    if (current instanceof RefusedAddressError) return current
    current = current.cause
  }
  return current
}

function describeNetworkError(error: unknown, host: string) {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError')
      return `No answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `Could not resolve ${host}`
    if (code === 'ECONNREFUSED') return 'Connection refused'
    if (code === 'ECONNRESET') return 'Connection reset'
    if (code?.startsWith('ERR_TLS') || code?.includes('CERT')) return `TLS error (${code})`
    if (
      code === 'UND_ERR_CONNECT_TIMEOUT' ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT'
    ) {
      return `No answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`
    }
    return code ? `Network error (${code})` : error.message.slice(0, 200)
  }
  return 'Network error'
}
