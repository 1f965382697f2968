import { randomFromPool } from '#db/random-pool.ts'
import type { IncomingMessage } from 'node:http'
import express, { type RequestHandler } from 'express'
import { markBodyTooLarge } from './body-too-large.server.ts'
import { isApiPath, isMcpPath, refuse } from './refusal.server.ts'
import { decodedSegments, normalisedTarget } from './request-target.server.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
/** Token-authenticated API and signed webhooks are not browser form posts. */
const ORIGIN_EXEMPT = ['api', 'webhooks']
/** Paths exempt as a whole: the MCP endpoint (Bearer API tokens, like /api). */
const ORIGIN_EXEMPT_EXACT = ['mcp']

/** Where the app is served: `APP_URL`'s origin, and whether this is the local profile. */
export type Site = { appOrigin: string; local: boolean }

export function contentSecurityPolicy(nonce: string, dev: boolean) {
  const script = dev ? "'self' 'unsafe-inline' 'unsafe-eval'" : `'nonce-${nonce}' 'strict-dynamic'`
  return [
    "default-src 'self'",
    `script-src ${script}`,
    // The nonce: the dialogs' scroll lock (react-remove-scroll) adds one <style> of its own,
    // given the page's nonce by entry.client.tsx (get-nonce).
    `style-src 'self'${dev ? " 'unsafe-inline'" : ` 'nonce-${nonce}'`}`,
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${dev ? ' ws: wss:' : ''}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/** One year, subdomains included: the production site is HTTPS-only once a browser has seen it. */
export const HSTS = 'max-age=31536000; includeSubDomains'

/**
 * CSP with a fresh nonce per request, plus the usual hardening headers. `hsts` only in
 * production with an https `APP_URL` (over plain HTTP browsers ignore it, and locally it would
 * pin localhost to HTTPS for every other project on the machine).
 */
export function securityHeaders(dev: boolean, hsts = false): RequestHandler {
  return (_req, res, next) => {
    if (hsts) res.setHeader('Strict-Transport-Security', HSTS)
    const nonce = randomFromPool(16).toString('base64')
    res.locals.cspNonce = nonce
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(nonce, dev))
    res.setHeader('X-Content-Type-Options', 'nosniff')
    res.setHeader('Referrer-Policy', 'strict-origin-when-cross-origin')
    res.setHeader('X-Frame-Options', 'DENY')
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin')
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()')
    next()
  }
}

/**
 * `Cache-Control: no-store` on every answer that passes here (mounted after the static files):
 * pages, their `.data`, the API, MCP and the customer's private link are made for one requester
 * and may hold a customer's words. Without it they carried no Cache-Control at all, so a browser
 * kept them in its disk cache (a shared computer shows them again with Back after sign-out) and a
 * proxy or CDN may cache them heuristically for the next visitor of the URL. A route that sets
 * its own (public API reference assets, the OpenAPI document) replaces it: Remix's adapter and
 * the API dispatcher set headers, they do not add them.
 */
export function noStoreByDefault(): RequestHandler {
  return (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store')
    next()
  }
}

const HOST_SYNTAX = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i

/**
 * A Host header value in the form URL.host gives it (lower case, default port dropped, IPv6
 * compressed), or undefined if it is not a plain host[:port].
 */
export function canonicalHost(value: string, protocol: string) {
  if (!HOST_SYNTAX.test(value)) return undefined
  try {
    return new URL(`${protocol}//${value}`).host
  } catch {
    return undefined
  }
}

/**
 * The hosts this app answers to: `APP_URL`'s, plus, in the local profile, the loopback names
 * on the port the request actually arrived on (so `PORT=0` works and a browser on
 * 127.0.0.1 works when `APP_URL` says localhost). Any other name, such as the attacker's
 * domain in a DNS-rebinding attack on a local instance, is refused.
 */
export function isAllowedHost(host: string | undefined, site: Site, localPort: number | undefined) {
  if (host === undefined) return false
  const app = new URL(site.appOrigin)
  if (host === app.host) return true
  if (!site.local || !localPort) return false
  return ['localhost', '127.0.0.1', '[::1]'].some(
    (name) => canonicalHost(`${name}:${localPort}`, app.protocol) === host,
  )
}

export type TrustProxy = (address: string | undefined, hop: number) => boolean

/**
 * Express's own compilation of a "trust proxy" value (TRUST_PROXY; `loopback` is createApp's
 * default too), so a request Express never sees (the Socket.IO handshake) trusts exactly the
 * proxies the app trusts.
 */
export function compileTrustProxy(value: string | number = 'loopback'): TrustProxy {
  return express().set('trust proxy', value).get('trust proxy fn') as TrustProxy
}

/** One value of a header (Node joins repeated unknown headers with ", "). */
function headerValue(req: IncomingMessage, name: string) {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** Host, or the first X-Forwarded-Host when the peer is a trusted proxy (as Express's req.hostname). */
function requestHost(req: IncomingMessage, trust: TrustProxy) {
  const forwarded = headerValue(req, 'x-forwarded-host')
  if (forwarded && trust(req.socket.remoteAddress, 0)) return forwarded.split(',')[0].trim()
  return req.headers.host
}

/**
 * The Host check on a raw request: the origin it was made to (`APP_URL`'s scheme and the
 * canonical host) when the host is one this app answers to (isAllowedHost), else the raw host,
 * for the log.
 */
export function checkHost(
  req: IncomingMessage,
  site: Site,
  trust: TrustProxy,
): { ok: true; requestOrigin: string } | { ok: false; raw: string } {
  const protocol = new URL(site.appOrigin).protocol
  const raw = requestHost(req, trust)
  const host = raw === undefined ? undefined : canonicalHost(raw, protocol)
  if (host === undefined || !isAllowedHost(host, site, req.socket.localPort)) {
    return { ok: false, raw: (raw ?? '').slice(0, 100) }
  }
  return { ok: true, requestOrigin: `${protocol}//${host}` }
}

/**
 * 400 for any Host other than the app's (see isAllowedHost). Mount after the health checks:
 * load balancers and orchestrators probe those by pod address.
 *
 * Downstream, Remix sees `Host: <APP_URL host>` and no X-Forwarded-Host: its request URL is
 * then canonical, and its own action check (Origin host against X-Forwarded-Host or Host, read
 * without regard to TRUST_PROXY) cannot disagree with originCheck.
 */
export function hostCheck(site: Site): RequestHandler {
  const app = new URL(site.appOrigin)
  return (req, res, next) => {
    const checked = checkHost(req, site, req.app.get('trust proxy fn') as TrustProxy)
    if (!checked.ok) {
      // Named in the request log line, so a proxy that loses the Host header is easy to spot.
      res.locals.refusedHost = checked.raw
      refuse(res, req.path, 'bad-request', 'Unknown host')
      return
    }
    // The origin this request was made to, for originCheck (the local profile's loopback names).
    res.locals.requestOrigin = checked.requestOrigin
    req.headers.host = app.host
    delete req.headers['x-forwarded-host']
    next()
  }
}

/**
 * Is this state-changing request from one of `origins` (compared as scheme, host and port)?
 * Origin first, then Sec-Fetch-Site.
 */
export function isSameOrigin(
  headers: { origin?: string; 'sec-fetch-site'?: string },
  origins: readonly string[],
) {
  const origin = headers.origin
  if (origin !== undefined && origin !== 'null') {
    let parsed: URL
    try {
      parsed = new URL(origin)
    } catch {
      return false
    }
    return origins.some((allowed) => new URL(allowed).origin === parsed.origin)
  }
  // No Origin, or "null" (sent for posts from pages with Referrer-Policy: no-referrer, and from
  // sandboxed documents): Sec-Fetch-Site, which pages cannot set, still tells a same-origin
  // request apart (browsers mark opaque origins cross-site).
  return headers['sec-fetch-site'] === 'same-origin'
}

/**
 * The origin check: from `APP_URL`'s origin or, in the local profile, from the loopback origin
 * the request was made to (checkHost's `requestOrigin`).
 */
export function isFromOwnOrigin(
  headers: { origin?: string; 'sec-fetch-site'?: string },
  site: Site,
  requestOrigin: string | undefined,
) {
  const origins = [site.appOrigin]
  if (site.local && requestOrigin !== undefined) origins.push(requestOrigin)
  return isSameOrigin(headers, origins)
}

/**
 * The Host check and then the origin check, for a request that does not pass through Express:
 * the Socket.IO handshake, which engine.io answers before Express sees it. Undefined when both
 * pass, else why it is refused.
 */
export function handshakeRefusal(req: IncomingMessage, site: Site, trust: TrustProxy) {
  const host = checkHost(req, site, trust)
  if (!host.ok) return 'Unknown host'
  const headers = { origin: req.headers.origin, 'sec-fetch-site': headerValue(req, 'sec-fetch-site') }
  if (!isFromOwnOrigin(headers, site, host.requestOrigin)) return 'Cross-origin request refused'
  return undefined
}

/** `/api/…`, `/webhooks/…` and `/mcp` once decoded, with no segment that could still move the path. */
export function isOriginExempt(pathname: string) {
  const segments = decodedSegments(pathname)
  if (segments?.length === 2 && ORIGIN_EXEMPT_EXACT.includes(segments[1])) return true
  if (isOneClickUnsubscribe(segments)) return true
  if (!segments || segments.length < 3 || !ORIGIN_EXEMPT.includes(segments[1])) return false
  return !segments.some((s) => s === '.' || s === '..' || s.includes('/') || s.includes('\\'))
}

/**
 * `POST /notifications/unsubscribe/<token>`: RFC 8058's one-click unsubscribe, which a mail
 * provider posts from its own servers (no Origin of ours, no cookie). The token in the path is the
 * authorization, and all it can do is turn one kind of notification email off.
 */
function isOneClickUnsubscribe(segments: string[] | undefined) {
  if (segments?.length !== 4 || segments[1] !== 'notifications' || segments[2] !== 'unsubscribe') return false
  const token = segments[3]!
  return token !== '' && token !== '.' && token !== '..' && !token.includes('/') && !token.includes('\\')
}

/**
 * Refuses cross-origin state-changing requests whether or not they carry a cookie (this also
 * stops login CSRF). The origin must be `APP_URL`'s, or in the local profile the loopback
 * origin the request was made to. Mount after requestTarget (exempt paths are matched on the
 * normalised path) and hostCheck.
 *
 * This is the one check: a request it lets through reaches Remix with `Origin: <APP_URL origin>`
 * (when it had one), so Remix's own check, which throws a 500 for `Origin: null` and for an
 * Origin whose host is not the Host header, always agrees with it.
 */
export function originCheck(site: Site): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next()
    const pathname = normalisedTarget(req.url)?.pathname
    const exempt = pathname !== undefined && isOriginExempt(pathname)
    const requestOrigin = typeof res.locals.requestOrigin === 'string' ? res.locals.requestOrigin : undefined
    const headers = { origin: req.get('origin'), 'sec-fetch-site': req.get('sec-fetch-site') }
    if (!exempt && !isFromOwnOrigin(headers, site, requestOrigin)) {
      refuse(res, req.path, 'forbidden', 'Cross-origin request refused')
      return
    }
    if (req.headers.origin !== undefined) req.headers.origin = site.appOrigin
    next()
  }
}

/**
 * Forms are small: bodies over `maxBytes` get 413 before anything reads them. Paths matching an
 * entry of `larger` (forms with attachments) get that entry's limit instead. A page's post goes on
 * to Remix unread, whose action answers the 413 as a page (`markBodyTooLarge`); the API and MCP
 * get theirs here.
 */
export function bodyLimit(
  maxBytes: number,
  larger: Array<{ path: RegExp; maxBytes: number }> = [],
): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next()
    const limit = larger.find((l) => l.path.test(req.path))?.maxBytes ?? maxBytes
    const length = req.get('content-length')
    if (length === undefined) {
      if (req.get('transfer-encoding')) {
        return refuse(res, req.path, 'length-required', 'Length required', 'Send a Content-Length.')
      }
      return next()
    }
    if (Number(length) > limit) {
      if (!isApiPath(req.path) && !isMcpPath(req.path)) {
        markBodyTooLarge(res)
        return next()
      }
      const detail = `The body is over ${limit} bytes.`
      return refuse(res, req.path, 'payload-too-large', 'Request body too large', detail)
    }
    next()
  }
}
