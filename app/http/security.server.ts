import { randomBytes } from 'node:crypto'
import type { RequestHandler } from 'express'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
/** Token-authenticated API and signed webhooks are not browser form posts. */
const ORIGIN_EXEMPT = [/^\/api\//, /^\/webhooks\//]

export function contentSecurityPolicy(nonce: string, dev: boolean) {
  const script = dev ? "'self' 'unsafe-inline' 'unsafe-eval'" : `'nonce-${nonce}' 'strict-dynamic'`
  return [
    "default-src 'self'",
    `script-src ${script}`,
    `style-src 'self'${dev ? " 'unsafe-inline'" : ''}`,
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self'${dev ? ' ws: wss:' : ''}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/** CSP with a fresh nonce per request, plus the usual hardening headers. */
export function securityHeaders(dev: boolean): RequestHandler {
  return (_req, res, next) => {
    const nonce = randomBytes(16).toString('base64')
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

/** Is this state-changing request from our own origin? Origin first, then Sec-Fetch-Site. */
export function isSameOrigin(
  headers: { origin?: string; host?: string; 'sec-fetch-site'?: string },
  appOrigin: string,
) {
  const origin = headers.origin
  if (origin && origin !== 'null') {
    if (origin === appOrigin) return true
    try {
      return new URL(origin).host === headers.host
    } catch {
      return false
    }
  }
  // No Origin, or "null" (sent for posts from pages with Referrer-Policy: no-referrer, and from
  // sandboxed documents): Sec-Fetch-Site still tells a same-origin request apart. Our own
  // token pages use `same-origin`, because Remix refuses an action whose Origin is "null".
  return headers['sec-fetch-site'] === 'same-origin'
}

/**
 * Refuses cross-origin state-changing requests whether or not they carry a cookie
 * (this also stops login CSRF).
 */
export function originCheck(appOrigin: string): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method) || ORIGIN_EXEMPT.some((p) => p.test(req.path))) return next()
    const headers = {
      origin: req.get('origin'),
      host: req.get('host'),
      'sec-fetch-site': req.get('sec-fetch-site'),
    }
    if (isSameOrigin(headers, appOrigin)) return next()
    res.status(403).type('text/plain').send('Cross-origin request refused')
  }
}

/**
 * Forms are small: bodies over `maxBytes` get 413 before anything reads them. Paths matching an
 * entry of `larger` (forms with attachments) get that entry's limit instead.
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
        res.status(411).type('text/plain').send('Length required')
        return
      }
      return next()
    }
    if (Number(length) > limit) {
      res.status(413).type('text/plain').send('Request body too large')
      return
    }
    next()
  }
}
