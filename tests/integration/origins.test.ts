import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { users } from '#db/schema.ts'
import { HSTS } from '#app/http/security.server.ts'
import { createUser, signIn } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { formBody, rawRequest } from '#tests/helpers/raw-http.ts'

// Three deployments of the real app over the production build, reached by raw HTTP requests so
// Host, Origin and the path go out exactly as written:
// - production, APP_URL = the address tests reach (http, no proxy);
// - local profile, APP_URL = http://localhost:<port> (tests reach it as 127.0.0.1);
// - production behind a TLS-terminating proxy, APP_URL = https://help.example.com.
let production: Awaited<ReturnType<typeof startTestServer>>
let local: Awaited<ReturnType<typeof startTestServer>>
let proxied: Awaited<ReturnType<typeof startTestServer>>

const PUBLIC_HOST = 'help.example.com'
const PUBLIC_ORIGIN = `https://${PUBLIC_HOST}`

beforeAll(async () => {
  ;[production, local, proxied] = await Promise.all([
    startTestServer({ appEnv: 'production' }),
    startTestServer({
      appEnv: 'local',
      appOrigin: (url) => url.replace('127.0.0.1', 'localhost'),
      sockets: false,
    }),
    startTestServer({ appEnv: 'production', appOrigin: () => PUBLIC_ORIGIN, sockets: false }),
  ])
})
afterAll(async () => {
  await Promise.all([production?.close(), local?.close(), proxied?.close()])
})

const hostOf = (server: { url: string }) => new URL(server.url).host
/** What a trusted proxy adds in front of the proxied instance. */
const viaProxy = { 'x-forwarded-host': PUBLIC_HOST, 'x-forwarded-proto': 'https' }

/** Renames the signed-in user through the account form; returns the status and the stored name. */
async function rename(
  server: { url: string },
  options: { path?: string; headers: Record<string, string> },
  name: string,
) {
  const user = await createUser({ name: 'Before' })
  const { cookie } = await signIn(user.id)
  const response = await rawRequest(server.url, {
    method: 'POST',
    path: options.path ?? '/account',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...options.headers },
    body: formBody({ intent: 'name', name }),
  })
  const [row] = await getDb().select({ name: users.name }).from(users).where(eq(users.id, user.id))
  return { status: response.status, body: response.body, stored: row.name }
}

describe('Host header', () => {
  it("refuses any Host but APP_URL's with 400, for pages, .data requests, static files and posts", async () => {
    for (const path of ['/login', '/login.data', '/favicon.ico', '/assets/none.js', '/w/acme']) {
      const response = await rawRequest(production.url, { path, headers: { host: 'rebind.evil.example' } })
      expect(response.status, path).toBe(400)
      expect(response.body, path).toBe('Unknown host')
    }
    const post = await rawRequest(production.url, {
      method: 'POST',
      path: '/login',
      headers: { host: 'rebind.evil.example', origin: 'http://rebind.evil.example' },
      body: 'email=a',
    })
    expect(post.status).toBe(400)
  })

  it('does not accept loopback aliases in production', async () => {
    const response = await rawRequest(production.url, {
      path: '/login',
      headers: { host: `localhost:${production.port}` },
    })
    expect(response.status).toBe(400)
  })

  it('answers the health checks whatever the Host, since load balancers probe them by address', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const response = await rawRequest(production.url, { path, headers: { host: '10.1.2.3:3000' } })
      expect(response.status, path).toBe(200)
    }
  })

  it('stops a DNS-rebinding page from reading /dev/emails in the local profile', async () => {
    const rebound = await rawRequest(local.url, {
      path: '/dev/emails',
      headers: { host: `rebind.evil.example:${local.port}` },
    })
    expect(rebound.status).toBe(400)
    expect(rebound.body).not.toContain('Outbox')
  })

  it('accepts localhost, 127.0.0.1 and [::1] on the listening port in the local profile, nothing else', async () => {
    for (const host of [`localhost:${local.port}`, `127.0.0.1:${local.port}`, `[::1]:${local.port}`]) {
      const response = await rawRequest(local.url, { path: '/dev/emails', headers: { host } })
      expect(response.status, host).toBe(200)
      expect(response.body, host).toContain('Outbox')
    }
    const otherPort = await rawRequest(local.url, { path: '/dev/emails', headers: { host: 'localhost:1' } })
    expect(otherPort.status).toBe(400)
  })

  it('takes the public host from X-Forwarded-Host only from a trusted proxy', async () => {
    const forwarded = await rawRequest(proxied.url, { path: '/login', headers: viaProxy })
    expect(forwarded.status).toBe(200)
    const untrusted = await startTestServer({
      appEnv: 'production',
      appOrigin: () => PUBLIC_ORIGIN,
      trustProxy: '10.9.9.9',
      sockets: false,
    })
    try {
      const spoofed = await rawRequest(untrusted.url, { path: '/login', headers: viaProxy })
      expect(spoofed.status).toBe(400)
      const direct = await rawRequest(untrusted.url, { path: '/login', headers: { host: PUBLIC_HOST } })
      expect(direct.status).toBe(200)
    } finally {
      await untrusted.close()
    }
  })
})

describe('one origin check', () => {
  it('accepts a same-origin post whose Origin is APP_URL, as a document post and as single fetch', async () => {
    for (const path of ['/account', '/account.data']) {
      const result = await rename(
        production,
        { path, headers: { origin: production.url } },
        `Renamed ${path}`,
      )
      expect(result.status, path).toBe(200)
      expect(result.stored, path).toBe(`Renamed ${path}`)
    }
  })

  it('accepts Origin = APP_URL arriving on another allowed Host (local profile, browser on 127.0.0.1)', async () => {
    for (const path of ['/account', '/account.data']) {
      const result = await rename(
        local,
        { path, headers: { host: `127.0.0.1:${local.port}`, origin: `http://localhost:${local.port}` } },
        'Via loopback',
      )
      expect(result.status, path).toBe(200)
      expect(result.stored, path).toBe('Via loopback')
    }
  })

  it('accepts the loopback origin a local browser actually uses', async () => {
    const result = await rename(
      local,
      { headers: { host: `127.0.0.1:${local.port}`, origin: `http://127.0.0.1:${local.port}` } },
      'Loopback origin',
    )
    expect(result.status).toBe(200)
    expect(result.stored).toBe('Loopback origin')
  })

  it('accepts Origin: null with Sec-Fetch-Site: same-origin (no-referrer pages), which Remix alone answered with 500', async () => {
    for (const path of ['/account', '/account.data']) {
      const result = await rename(
        production,
        { path, headers: { origin: 'null', 'sec-fetch-site': 'same-origin' } },
        'Null origin',
      )
      expect(result.status, path).toBe(200)
      expect(result.stored, path).toBe('Null origin')
    }
  })

  it('accepts a post through a trusted proxy that forwards the public host as X-Forwarded-Host', async () => {
    for (const path of ['/account', '/account.data']) {
      const result = await rename(
        proxied,
        { path, headers: { ...viaProxy, origin: PUBLIC_ORIGIN } },
        'Proxied',
      )
      expect(result.status, path).toBe(200)
      expect(result.stored, path).toBe('Proxied')
    }
  })

  it('answers a clean 400, not a 500, when the proxy forwards neither Host nor X-Forwarded-Host', async () => {
    const result = await rename(proxied, { headers: { origin: PUBLIC_ORIGIN } }, 'Lost host')
    expect(result.status).toBe(400)
    expect(result.body).toBe('Unknown host')
    expect(result.stored).toBe('Before')
  })

  it('refuses cross-origin posts with 403 and writes nothing, never 500', async () => {
    const attempts: Array<Record<string, string>> = [
      { origin: 'https://evil.example' },
      { origin: `https://${hostOf(production)}` },
      { origin: `${production.url}.evil.example` },
      { origin: 'garbage' },
      { origin: 'null' },
      { origin: 'null', 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      {},
    ]
    for (const headers of attempts) {
      for (const path of ['/account', '/account.data']) {
        const result = await rename(production, { path, headers }, 'Hijacked')
        expect(result.status, `${path} ${JSON.stringify(headers)}`).toBe(403)
        expect(result.stored).toBe('Before')
      }
    }
  })

  it('does not exempt /api/ or /webhooks/ paths that normalise to a page', async () => {
    for (const path of [
      '/api/../account',
      '/api/%2e%2e/account',
      '/webhooks/.%2E/account',
      '/api\\..\\account',
    ]) {
      const result = await rename(
        production,
        { path, headers: { origin: 'https://evil.example' } },
        'Hijacked',
      )
      expect(result.status, path).toBe(403)
      expect(result.stored, path).toBe('Before')
    }
  })

  it('lets an exempt path through to the API with a foreign Origin (the token decides: 401 without one), not 403 or 500', async () => {
    const response = await rawRequest(production.url, {
      method: 'POST',
      path: '/api/v1/tickets',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{}',
    })
    expect(response.status).toBe(401)
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/)
  })
})

describe('Strict-Transport-Security', () => {
  it('is sent in production when APP_URL is https, on every response', async () => {
    for (const path of ['/login', '/healthz', '/favicon.ico']) {
      const response = await rawRequest(proxied.url, { path, headers: viaProxy })
      expect(response.headers['strict-transport-security'], path).toBe(HSTS)
    }
  })

  it('is not sent when APP_URL is http, nor in the local profile', async () => {
    const http = await rawRequest(production.url, { path: '/login' })
    expect(http.status).toBe(200)
    expect(http.headers['strict-transport-security']).toBeUndefined()
    const localResponse = await rawRequest(local.url, { path: '/login' })
    expect(localResponse.status).toBe(200)
    expect(localResponse.headers['strict-transport-security']).toBeUndefined()
  })
})

describe('malformed percent-encoding in the path', () => {
  const paths = [
    '/w/%E0%A4%A/tickets',
    '/%',
    '/support/%zz',
    '/support/%zz.data',
    '/%ff',
    '/assets/%zz.js',
    '/favicon%zz.ico',
    '/healthz/%zz',
    '/socket.io/%zz?EIO=4&transport=polling',
  ]

  it('answers 400 for pages, .data requests, static files and other paths, never 500', async () => {
    for (const path of paths) {
      for (const method of ['GET', 'POST']) {
        const response = await rawRequest(production.url, {
          method,
          path,
          headers: { origin: production.url },
          body: method === 'POST' ? 'x=1' : undefined,
        })
        expect(response.status, `${method} ${path}`).toBe(400)
      }
    }
  })
})
