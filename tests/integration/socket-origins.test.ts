import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createMember } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { socketUpgrade } from '#tests/helpers/raw-http.ts'
import { closeSockets, handshakeOutcome, openSocket } from '#tests/helpers/sockets.ts'

// The Socket.IO handshake runs the app's own Host and origin checks (app/http/security.server.ts):
// a refused handshake is an HTTP 400 before any upgrade (engine.io answers refused upgrades with 400), whatever cookie it carries. Socket.IO is
// a process singleton, so each deployment gets its own describe block and server.
type Server = Awaited<ReturnType<typeof startTestServer>>

afterEach(closeSockets)

/** A raw upgrade request with a signed-in agent's cookie. */
async function upgradeWithCookie(server: Server, headers: Record<string, string>) {
  const { cookie } = await createMember('agent')
  return socketUpgrade(server.url, { cookie, ...headers })
}

/** A real client's handshake, signed in, with these Host and Origin headers. */
async function handshake(server: Server, headers: Record<string, string>) {
  const { cookie } = await createMember('agent')
  return handshakeOutcome(openSocket(server.url, { cookie, ...headers }))
}

describe('production: APP_URL is the address tests reach', () => {
  let server: Server
  beforeAll(async () => {
    server = await startTestServer({ appEnv: 'production' })
  })
  afterAll(async () => {
    await server?.close()
  })
  const host = () => new URL(server.url).host

  it("upgrades a handshake whose Host and Origin are APP_URL's, and signs it in", async () => {
    expect((await upgradeWithCookie(server, { host: host(), origin: server.url })).status).toBe(101)
    expect((await handshake(server, {})).ok).toBe(true)
  })

  it('refuses a foreign Host (DNS rebinding) with 400 before the upgrade, even with a cookie', async () => {
    const rebound = { host: 'rebind.evil.example', origin: 'http://rebind.evil.example' }
    expect(await upgradeWithCookie(server, rebound)).toEqual({
      status: 400,
      body: expect.stringContaining('Unknown host'),
    })
  })

  it('refuses a foreign Origin, Origin: null and no Origin, even with a cookie', async () => {
    for (const origin of [
      'https://evil.example',
      'null',
      `https://${host()}`,
      `http://${host()}.evil.example`,
    ]) {
      const response = await upgradeWithCookie(server, { host: host(), origin })
      expect(response, origin).toEqual({
        status: 400,
        body: expect.stringContaining('Cross-origin request refused'),
      })
    }
    expect((await upgradeWithCookie(server, { host: host() })).status).toBe(400)
    expect(await handshake(server, { origin: 'https://evil.example' })).toEqual({
      ok: false,
      error: 'websocket error',
    })
  })

  it('accepts Origin: null only with Sec-Fetch-Site: same-origin, as the form check does', async () => {
    const sameOrigin = { host: host(), origin: 'null', 'sec-fetch-site': 'same-origin' }
    expect((await upgradeWithCookie(server, sameOrigin)).status).toBe(101)
    const crossSite = { ...sameOrigin, 'sec-fetch-site': 'cross-site' }
    expect((await upgradeWithCookie(server, crossSite)).status).toBe(400)
  })

  it('does not accept the loopback aliases in production', async () => {
    const alias = `localhost:${server.port}`
    expect((await upgradeWithCookie(server, { host: alias, origin: `http://${alias}` })).status).toBe(400)
  })
})

describe('local profile: APP_URL is http://localhost:<port>', () => {
  let server: Server
  beforeAll(async () => {
    server = await startTestServer({
      appEnv: 'local',
      appOrigin: (url) => url.replace('127.0.0.1', 'localhost'),
    })
  })
  afterAll(async () => {
    await server?.close()
  })

  it('signs in a handshake on each loopback name of the listening port, with its own origin', async () => {
    for (const name of ['localhost', '127.0.0.1', '[::1]']) {
      const host = `${name}:${server.port}`
      expect(await handshake(server, { host, origin: `http://${host}` }), name).toMatchObject({ ok: true })
    }
    // APP_URL's origin from a browser on 127.0.0.1, as the form check allows.
    const fromAppUrl = { host: `127.0.0.1:${server.port}`, origin: server.appOrigin }
    expect(await handshake(server, fromAppUrl)).toMatchObject({ ok: true })
  })

  it('refuses a rebinding Host, another loopback origin than the one used, and another port', async () => {
    const port = server.port
    for (const headers of [
      { host: `rebind.evil.example:${port}`, origin: `http://rebind.evil.example:${port}` },
      { host: `127.0.0.1:${port}`, origin: `http://[::1]:${port}` },
      { host: `localhost:${port}`, origin: `http://localhost:${port + 1}` },
      { host: `localhost:${port + 1}`, origin: `http://localhost:${port + 1}` },
    ]) {
      expect((await upgradeWithCookie(server, headers)).status, JSON.stringify(headers)).toBe(400)
    }
  })
})

describe('production behind a proxy: APP_URL is https://help.example.com', () => {
  const PUBLIC_ORIGIN = 'https://help.example.com'
  const forwarded = {
    'x-forwarded-host': 'help.example.com',
    'x-forwarded-proto': 'https',
    origin: PUBLIC_ORIGIN,
  }
  let trusted: Server

  beforeAll(async () => {
    trusted = await startTestServer({ appEnv: 'production', appOrigin: () => PUBLIC_ORIGIN })
  })
  afterAll(async () => {
    await trusted?.close()
  })

  it('takes the public host from X-Forwarded-Host sent by a trusted proxy (TRUST_PROXY, loopback here)', async () => {
    expect((await upgradeWithCookie(trusted, forwarded)).status).toBe(101)
    expect(await handshake(trusted, forwarded)).toMatchObject({ ok: true })
    // Without the forwarded host, the pod address is not APP_URL's host.
    expect((await upgradeWithCookie(trusted, { origin: PUBLIC_ORIGIN })).status).toBe(400)
  })
})

describe('production behind an untrusted peer', () => {
  let untrusted: Server
  beforeAll(async () => {
    untrusted = await startTestServer({
      appEnv: 'production',
      appOrigin: () => 'https://help.example.com',
      trustProxy: '203.0.113.7',
    })
  })
  afterAll(async () => {
    await untrusted?.close()
  })

  it('ignores X-Forwarded-Host from a peer TRUST_PROXY does not name', async () => {
    const forwarded = { 'x-forwarded-host': 'help.example.com', origin: 'https://help.example.com' }
    expect((await upgradeWithCookie(untrusted, forwarded)).status).toBe(400)
  })
})
