import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawRequest } from '#tests/helpers/raw-http.ts'
import { decodedSegments, normalisedTarget, parsedTarget } from '#app/http/request-target.server.ts'
import {
  bodyLimit,
  canonicalHost,
  contentSecurityPolicy,
  HSTS,
  isAllowedHost,
  isOriginExempt,
  isSameOrigin,
  originCheck,
  securityHeaders,
} from '#app/http/security.server.ts'

const APP_ORIGIN = 'https://help.example.com'

function directives(policy: string) {
  return new Map(
    policy.split('; ').map((d) => {
      const [name, ...values] = d.split(' ')
      return [name, values] as const
    }),
  )
}

describe('isSameOrigin', () => {
  const origins = [APP_ORIGIN]

  it('accepts an Origin equal to the app origin, default port written or not', () => {
    expect(isSameOrigin({ origin: APP_ORIGIN }, origins)).toBe(true)
    expect(isSameOrigin({ origin: 'https://help.example.com:443' }, origins)).toBe(true)
    expect(isSameOrigin({ origin: 'https://HELP.example.com' }, origins)).toBe(true)
  })

  it('refuses an Origin that differs from the app origin in scheme, host or port', () => {
    expect(isSameOrigin({ origin: 'http://help.example.com' }, origins)).toBe(false)
    expect(isSameOrigin({ origin: 'https://help.example.com:8443' }, origins)).toBe(false)
    expect(isSameOrigin({ origin: 'https://evil.help.example.com' }, origins)).toBe(false)
  })

  it('refuses a foreign Origin even when Sec-Fetch-Site claims same-origin', () => {
    expect(isSameOrigin({ origin: 'https://evil.com', 'sec-fetch-site': 'same-origin' }, origins)).toBe(false)
  })

  it('refuses the opaque "null" Origin of sandboxed frames and data: URLs, which browsers mark cross-site', () => {
    expect(isSameOrigin({ origin: 'null', 'sec-fetch-site': 'cross-site' }, origins)).toBe(false)
    expect(isSameOrigin({ origin: 'null' }, origins)).toBe(false)
  })

  it('accepts "null" Origin from our own no-referrer pages when Sec-Fetch-Site says same-origin', () => {
    expect(isSameOrigin({ origin: 'null', 'sec-fetch-site': 'same-origin' }, origins)).toBe(true)
  })

  it('refuses an Origin that is not a URL', () => {
    expect(isSameOrigin({ origin: 'garbage', 'sec-fetch-site': 'same-origin' }, origins)).toBe(false)
  })

  it('accepts a request without Origin when Sec-Fetch-Site says same-origin', () => {
    expect(isSameOrigin({ 'sec-fetch-site': 'same-origin' }, origins)).toBe(true)
  })

  it('refuses a request without Origin when Sec-Fetch-Site says cross-site or same-site', () => {
    expect(isSameOrigin({ 'sec-fetch-site': 'cross-site' }, origins)).toBe(false)
    expect(isSameOrigin({ 'sec-fetch-site': 'same-site' }, origins)).toBe(false)
  })

  it('refuses a request with neither Origin nor Sec-Fetch-Site', () => {
    expect(isSameOrigin({}, origins)).toBe(false)
  })
})

describe('canonicalHost', () => {
  it('lower-cases, drops the default port and keeps other ports', () => {
    expect(canonicalHost('Help.Example.com', 'https:')).toBe('help.example.com')
    expect(canonicalHost('help.example.com:443', 'https:')).toBe('help.example.com')
    expect(canonicalHost('localhost:80', 'http:')).toBe('localhost')
    expect(canonicalHost('localhost:3000', 'http:')).toBe('localhost:3000')
    expect(canonicalHost('[0:0:0:0:0:0:0:1]:3000', 'http:')).toBe('[::1]:3000')
  })

  it('refuses anything that is not a plain host and port', () => {
    for (const value of [
      '',
      'evil.com/x',
      'a@b.com',
      'evil.com:99999',
      'evil.com:',
      'a b',
      'x.com\\y',
      '[zz]:1',
    ]) {
      expect(canonicalHost(value, 'https:'), value).toBeUndefined()
    }
  })
})

describe('isAllowedHost', () => {
  const production = { appOrigin: APP_ORIGIN, local: false }
  const local = { appOrigin: 'http://localhost:3000', local: true }

  it("accepts only APP_URL's host in production", () => {
    expect(isAllowedHost('help.example.com', production, 443)).toBe(true)
    expect(isAllowedHost('localhost:443', production, 443)).toBe(false)
    expect(isAllowedHost('10.0.0.7:3000', production, 3000)).toBe(false)
    expect(isAllowedHost(undefined, production, 443)).toBe(false)
  })

  it('also accepts the loopback names on the port the request came in on in the local profile', () => {
    expect(isAllowedHost('localhost:3000', local, 3000)).toBe(true)
    expect(isAllowedHost('127.0.0.1:3000', local, 3000)).toBe(true)
    expect(isAllowedHost('[::1]:3000', local, 3000)).toBe(true)
    expect(isAllowedHost('127.0.0.1:41234', local, 41234)).toBe(true)
    expect(isAllowedHost('127.0.0.1:8080', local, 3000)).toBe(false)
  })

  it("refuses a rebinding attacker's name even on the right port in the local profile", () => {
    expect(isAllowedHost('rebind.evil.example:3000', local, 3000)).toBe(false)
    expect(isAllowedHost('127.0.0.2:3000', local, 3000)).toBe(false)
  })
})

describe('isOriginExempt', () => {
  it('exempts /api/ and /webhooks/ paths', () => {
    expect(isOriginExempt('/api/v1/tickets')).toBe(true)
    expect(isOriginExempt('/webhooks/sendgrid/inbound')).toBe(true)
  })

  it('exempts an unsubscribe link (RFC 8058 one-click, posted by the mail provider) and nothing around it', () => {
    expect(isOriginExempt('/notifications/unsubscribe/abc123')).toBe(true)
    for (const path of [
      '/notifications/unsubscribe',
      '/notifications/unsubscribe/',
      '/notifications/unsubscribe/a/b',
      '/notifications',
      '/w/acme/notifications/unsubscribe/x',
      '/notifications/unsubscribe/%2e%2e',
    ]) {
      expect(isOriginExempt(path), path).toBe(false)
    }
  })

  it('does not exempt look-alikes or encoded tricks that routing could resolve elsewhere', () => {
    for (const path of [
      '/apiary',
      '/api',
      '/API/v1',
      '/x/api/v1',
      '/api/..%2Fw/acme',
      '/api/%2e%2e',
      '/api/a%5C..%5Cw',
    ]) {
      expect(isOriginExempt(path), path).toBe(false)
    }
  })
})

describe('normalisedTarget', () => {
  it('resolves dot segments, encoded dot segments and backslashes as routing does', () => {
    expect(normalisedTarget('/api/../w/acme')?.pathname).toBe('/w/acme')
    expect(normalisedTarget('/api/%2e%2e/w/acme')?.pathname).toBe('/w/acme')
    expect(normalisedTarget('/api/.%2E/w/acme?x=1')).toEqual({ pathname: '/w/acme', search: '?x=1' })
    expect(normalisedTarget('/api\\..\\w/acme')?.pathname).toBe('/w/acme')
    expect(normalisedTarget('//evil.example/x')?.pathname).toBe('//evil.example/x')
  })

  it('refuses malformed percent-encoding and targets that are not paths', () => {
    for (const target of ['/w/%E0%A4%A/tickets', '/%', '/support/%zz', '/%ff', 'http://evil.example/', '*']) {
      expect(normalisedTarget(target), target).toBeUndefined()
    }
  })

  it('answers plain targets without parsing exactly as URL parsing does, and everything else by parsing', () => {
    const corpus = [
      '/',
      '/w/acme/tickets',
      '/w/acme/tickets.data',
      '/w/acme/tickets?view=all&q=refund',
      '/w/acme/tickets?',
      '/w/acme/tickets??x',
      '/w/acme/tickets?q=a%20b&_data=x',
      "/w/acme/tickets?q=it's",
      '/w/acme/tickets?q=<b>',
      '/w/acme/tickets?q=a b',
      '/w/acme/tickets?q="x"',
      '/w/acme/tickets#m-1',
      '/a/./b',
      '/a/../b',
      '/a/..',
      '/a/.',
      '/a/.?x=1',
      '/a/..?x=1',
      '/.',
      '/..',
      '/a/.b/..c/...',
      '/a/b.',
      '/x?next=/a/../b',
      '//evil.example/x',
      '/w/%61cme',
      '/w/acme\\x',
      '/w/ä',
      '/w/a\u0000b',
      '/assets/entry.client-AbC_123~x.js',
      '/api/v1/tickets?status=open&limit=25',
    ]
    const alphabet = [
      '/',
      '.',
      '..',
      'a',
      'Z',
      '9',
      '-',
      '_',
      '~',
      '?',
      '&',
      '=',
      '%',
      '%2e',
      '%41',
      ' ',
      "'",
      '"',
      '#',
      '\\',
      'é',
      '<',
    ]
    let seed = 12345
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
    for (let i = 0; i < 5000; i++) {
      let target = '/'
      for (let n = next() % 12; n > 0; n--) target += alphabet[next() % alphabet.length]
      corpus.push(target)
    }
    for (const target of corpus) {
      expect(normalisedTarget(target), target).toEqual(parsedTarget(target))
    }
  })

  it('decodes path segments the same with and without percent signs', () => {
    for (const path of ['/w/acme/tickets', '/', '//x//', '/a.b/c~d', '/w/a\u0000b']) {
      const slow = (() => {
        const segments = path.split('/').map((segment) => decodeURIComponent(segment))
        return segments.some((segment) => segment.includes('\u0000')) ? undefined : segments
      })()
      expect(decodedSegments(path), path).toEqual(slow)
    }
    expect(decodedSegments('/w/%61cme')).toEqual(['', 'w', 'acme'])
    expect(decodedSegments('/w/%00')).toBeUndefined()
    expect(decodedSegments('/w/%zz')).toBeUndefined()
  })
})

describe('contentSecurityPolicy', () => {
  it('allows scripts in production only by nonce and strict-dynamic, never by origin', () => {
    const policy = directives(contentSecurityPolicy('bm9uY2U=', false))
    expect(policy.get('script-src')).toEqual(["'nonce-bm9uY2U='", "'strict-dynamic'"])
    expect(policy.get('script-src')).not.toContain("'self'")
    expect(policy.get('script-src')).not.toContain("'unsafe-inline'")
  })

  it('forbids plugins, base-tag hijacking and framing in production', () => {
    const policy = directives(contentSecurityPolicy('bm9uY2U=', false))
    expect(policy.get('object-src')).toEqual(["'none'"])
    expect(policy.get('base-uri')).toEqual(["'none'"])
    expect(policy.get('frame-ancestors')).toEqual(["'none'"])
    expect(policy.get('form-action')).toEqual(["'self'"])
    expect(policy.get('default-src')).toEqual(["'self'"])
  })

  it('keeps inline styles and websockets out of production: a style needs the nonce', () => {
    const policy = directives(contentSecurityPolicy('bm9uY2U=', false))
    expect(policy.get('style-src')).toEqual(["'self'", "'nonce-bm9uY2U='"])
    expect(policy.get('connect-src')).toEqual(["'self'"])
  })

  it('relaxes scripts, styles and connections in development for Vite', () => {
    const policy = directives(contentSecurityPolicy('bm9uY2U=', true))
    expect(policy.get('script-src')).toContain("'unsafe-eval'")
    expect(policy.get('style-src')).toContain("'unsafe-inline'")
    expect(policy.get('connect-src')).toContain('ws:')
    expect(policy.get('frame-ancestors')).toEqual(["'none'"])
  })
})

describe('security middlewares on an Express app', () => {
  const BODY_LIMIT = 1024
  let server: http.Server
  let base: string
  let appOrigin: string

  beforeAll(async () => {
    const app = express()
    server = http.createServer(app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    base = `http://127.0.0.1:${port}`
    // The app's public origin differs from where the test reaches it, as behind a proxy.
    appOrigin = 'https://help.example.com'
    app.use(securityHeaders(false))
    app.use(originCheck({ appOrigin, local: false }))
    app.use(bodyLimit(BODY_LIMIT))
    app.all('*', (_req, res) => {
      res
        .type('text/plain')
        .send(`reached ${res.locals.cspNonce}${res.locals.bodyTooLarge ? ' too-large' : ''}`)
    })
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  describe('originCheck', () => {
    it('refuses a cross-origin form post with 403', async () => {
      const response = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { origin: 'https://evil.com', 'content-type': 'application/x-www-form-urlencoded' },
        body: 'email=a%40b.c',
      })
      expect(response.status).toBe(403)
      expect(await response.text()).toBe('Cross-origin request refused')
    })

    it('refuses a post with no Origin and a cross-site Sec-Fetch-Site', async () => {
      const response = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { 'sec-fetch-site': 'cross-site' },
        body: 'x=1',
      })
      expect(response.status).toBe(403)
    })

    it('lets a post from the app origin through', async () => {
      const response = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { origin: appOrigin },
        body: 'x=1',
      })
      expect(response.status).toBe(200)
      expect(await response.text()).toMatch(/^reached /)
    })

    it('refuses a post whose Origin only matches the Host header, not APP_URL', async () => {
      const response = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { origin: base },
        body: 'x=1',
      })
      expect(response.status).toBe(403)
    })

    it('refuses a cross-origin post to an exempt prefix that normalises to another path', async () => {
      for (const path of ['/api/../w/acme', '/api/%2e%2e/w/acme', '/webhooks/%2E./login', '/api\\..\\w']) {
        const response = await rawRequest(base, {
          method: 'POST',
          path,
          headers: { origin: 'https://evil.com' },
          body: 'x=1',
        })
        expect(response.status, path).toBe(403)
      }
    })

    it('lets a post with no Origin but a same-origin Sec-Fetch-Site through', async () => {
      const response = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { 'sec-fetch-site': 'same-origin' },
        body: 'x=1',
      })
      expect(response.status).toBe(200)
    })

    it('exempts token-authenticated /api/ paths and signed /webhooks/ paths', async () => {
      for (const path of ['/api/v1/tickets', '/webhooks/sendgrid/inbound']) {
        const response = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { origin: 'https://evil.com' },
          body: '{}',
        })
        expect(response.status, path).toBe(200)
      }
    })

    it('does not exempt a path that merely starts with "api"', async () => {
      const response = await fetch(`${base}/apiary`, {
        method: 'POST',
        headers: { origin: 'https://evil.com' },
        body: 'x=1',
      })
      expect(response.status).toBe(403)
    })

    it('lets a cross-origin GET through, since reads change nothing', async () => {
      const response = await fetch(`${base}/w/acme`, { headers: { origin: 'https://evil.com' } })
      expect(response.status).toBe(200)
    })

    it('refuses cross-origin PUT, PATCH and DELETE as well as POST', async () => {
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const response = await fetch(`${base}/w/acme`, { method, headers: { origin: 'https://evil.com' } })
        expect(response.status, method).toBe(403)
      }
    })
  })

  describe('bodyLimit', () => {
    it('answers 413 to an API or MCP post whose Content-Length is over the limit', async () => {
      for (const path of ['/api/v1/tickets', '/mcp']) {
        const response = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { origin: appOrigin },
          body: 'x'.repeat(BODY_LIMIT + 1),
        })
        expect(response.status, path).toBe(413)
        expect(await response.text(), path).toContain('The body is over 1024 bytes.')
      }
    })

    it("lets a page's post over the limit go on to the page marked, without reading its body (the page answers 413)", async () => {
      const response = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { origin: appOrigin },
        body: 'x'.repeat(BODY_LIMIT + 1),
      })
      expect(response.status).toBe(200)
      expect(await response.text()).toMatch(/^reached .* too-large$/)
    })

    it('accepts a post exactly at the limit', async () => {
      const response = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { origin: appOrigin },
        body: 'x'.repeat(BODY_LIMIT),
      })
      expect(response.status).toBe(200)
    })

    it('answers 411 to a chunked post that does not declare its length', async () => {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const request = http.request(`${base}/login`, {
          method: 'POST',
          headers: { origin: appOrigin, 'transfer-encoding': 'chunked' },
        })
        request.on('response', (response) => {
          response.resume()
          resolve(response.statusCode)
        })
        request.on('error', reject)
        request.write('x=1')
        request.end()
      })
      expect(status).toBe(411)
    })
  })

  describe('securityHeaders', () => {
    it('sets a CSP whose nonce is the one handed to the page', async () => {
      const response = await fetch(`${base}/`)
      const policy = directives(response.headers.get('content-security-policy') ?? '')
      const nonce = (await response.text()).replace(/^reached /, '')
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/)
      expect(policy.get('script-src')).toEqual([`'nonce-${nonce}'`, "'strict-dynamic'"])
    })

    it('uses a different nonce on every request', async () => {
      const policies = await Promise.all(
        [1, 2, 3].map(async () => (await fetch(`${base}/`)).headers.get('content-security-policy')),
      )
      expect(new Set(policies).size).toBe(3)
    })

    it('sets nosniff, a strict referrer policy and framing protection', async () => {
      const response = await fetch(`${base}/`)
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
      expect(response.headers.get('x-frame-options')).toBe('DENY')
      expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin')
    })

    it('sets Strict-Transport-Security only when asked to (production over https)', async () => {
      const response = await fetch(`${base}/`)
      expect(response.headers.get('strict-transport-security')).toBeNull()
      const headers = new Map<string, string>()
      const res = { locals: {}, setHeader: (name: string, value: string) => headers.set(name, value) }
      securityHeaders(false, true)({} as never, res as never, () => {})
      expect(headers.get('Strict-Transport-Security')).toBe(HSTS)
      expect(HSTS).toBe('max-age=31536000; includeSubDomains')
    })

    it('sets the headers on refused requests too', async () => {
      const response = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { origin: 'https://evil.com' },
        body: 'x=1',
      })
      expect(response.status).toBe(403)
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    })
  })
})
