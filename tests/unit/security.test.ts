import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  bodyLimit,
  contentSecurityPolicy,
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
  it('accepts an Origin equal to the app origin', () => {
    expect(isSameOrigin({ origin: APP_ORIGIN, host: 'internal:3000' }, APP_ORIGIN)).toBe(true)
  })

  it('accepts an Origin whose host matches the Host header', () => {
    expect(isSameOrigin({ origin: 'http://localhost:3000', host: 'localhost:3000' }, APP_ORIGIN)).toBe(true)
  })

  it('refuses a foreign Origin', () => {
    expect(isSameOrigin({ origin: 'https://evil.com', host: 'help.example.com' }, APP_ORIGIN)).toBe(false)
  })

  it('refuses a foreign Origin even when Sec-Fetch-Site claims same-origin', () => {
    expect(
      isSameOrigin(
        { origin: 'https://evil.com', host: 'help.example.com', 'sec-fetch-site': 'same-origin' },
        APP_ORIGIN,
      ),
    ).toBe(false)
  })

  it('refuses the opaque "null" Origin of sandboxed frames and data: URLs, which browsers mark cross-site', () => {
    expect(
      isSameOrigin({ origin: 'null', host: 'help.example.com', 'sec-fetch-site': 'cross-site' }, APP_ORIGIN),
    ).toBe(false)
    expect(isSameOrigin({ origin: 'null', host: 'help.example.com' }, APP_ORIGIN)).toBe(false)
  })

  it('accepts "null" Origin from our own no-referrer pages when Sec-Fetch-Site says same-origin', () => {
    expect(
      isSameOrigin({ origin: 'null', host: 'help.example.com', 'sec-fetch-site': 'same-origin' }, APP_ORIGIN),
    ).toBe(true)
  })

  it('refuses an Origin that is not a URL', () => {
    expect(isSameOrigin({ origin: 'garbage', host: 'help.example.com' }, APP_ORIGIN)).toBe(false)
  })

  it('accepts a request without Origin when Sec-Fetch-Site says same-origin', () => {
    expect(isSameOrigin({ host: 'help.example.com', 'sec-fetch-site': 'same-origin' }, APP_ORIGIN)).toBe(true)
  })

  it('refuses a request without Origin when Sec-Fetch-Site says cross-site or same-site', () => {
    expect(isSameOrigin({ host: 'help.example.com', 'sec-fetch-site': 'cross-site' }, APP_ORIGIN)).toBe(false)
    expect(isSameOrigin({ host: 'help.example.com', 'sec-fetch-site': 'same-site' }, APP_ORIGIN)).toBe(false)
  })

  it('refuses a request with neither Origin nor Sec-Fetch-Site', () => {
    expect(isSameOrigin({ host: 'help.example.com' }, APP_ORIGIN)).toBe(false)
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

  it('keeps inline styles and websockets out of production', () => {
    const policy = directives(contentSecurityPolicy('bm9uY2U=', false))
    expect(policy.get('style-src')).toEqual(["'self'"])
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
    app.use(originCheck(appOrigin))
    app.use(bodyLimit(BODY_LIMIT))
    app.all('*', (_req, res) => {
      res.type('text/plain').send(`reached ${res.locals.cspNonce}`)
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

    it('lets a post whose Origin matches the Host header through', async () => {
      const response = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { origin: base },
        body: 'x=1',
      })
      expect(response.status).toBe(200)
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
    it('answers 413 to a post whose Content-Length is over the limit', async () => {
      const response = await fetch(`${base}/login`, {
        method: 'POST',
        headers: { origin: appOrigin },
        body: 'x'.repeat(BODY_LIMIT + 1),
      })
      expect(response.status).toBe(413)
      expect(await response.text()).toBe('Request body too large')
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
