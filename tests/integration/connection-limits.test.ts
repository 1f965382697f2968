import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { killServers, startServer, type ServerProcess } from '#tests/helpers/server-process.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { waitFor } from '#tests/helpers/wait.ts'

/**
 * The production build (`npm start`'s server) against one host opening many idle or slow
 * connections (slowloris): that host is capped, everyone else is served. Loopback is the test's
 * only network, so TRUST_PROXY names another address: 127.0.0.x are clients here, not proxies.
 */
const PER_ADDRESS = 20
let server: ServerProcess
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-connections-'))
const sockets: net.Socket[] = []

beforeAll(async () => {
  server = await startServer({
    databaseUrl: testDatabaseUrl,
    dataDir,
    env: {
      TRUST_PROXY: '10.9.9.9',
      MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS),
      HTTP_HEADERS_TIMEOUT_MS: '1000',
    },
  })
}, 60_000)
afterAll(() => {
  for (const socket of sockets) socket.destroy()
  killServers()
  fs.rmSync(dataDir, { recursive: true, force: true })
})

function connect(from: string) {
  const socket = net.connect({ port: server.port, host: '127.0.0.1', localAddress: from })
  sockets.push(socket)
  socket.on('error', () => {})
  return socket
}

/** A GET on a new connection from `from`: the raw answer, read until the server closes. */
async function get(from: string, target: string) {
  const socket = connect(from)
  let text = ''
  socket.on('data', (d) => (text += d))
  socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`)
  await new Promise((r) => socket.once('close', r))
  return text
}

it('serves others while one address holds its cap of slow connections, refuses that address’s next with 503, and cuts slow headers', async () => {
  // The flood: connections that send half a request line's headers and then nothing.
  const flood: net.Socket[] = []
  for (let i = 0; i < PER_ADDRESS; i++) {
    const socket = connect('127.0.0.3')
    socket.write('GET /login HTTP/1.1\r\nHost: x\r\nX-Slow: ')
    socket.resume() // reads what the server sends, so its close is seen
    flood.push(socket)
  }
  await Promise.all(
    flood.map((s) => new Promise((r) => (s.readyState === 'open' ? r(null) : s.once('connect', r)))),
  )

  const refused = await get('127.0.0.3', '/healthz')
  expect(refused).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/)
  expect(refused).toMatch(/\r\nRetry-After: 5\r\n/)

  // Another address: the health probe and a page.
  expect(await get('127.0.0.4', '/healthz')).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
  expect(await get('127.0.0.4', '/login')).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Sign in/)

  // Slow headers are cut: 1 s of headers timeout, checked every 5 s.
  const started = Date.now()
  await Promise.all(flood.map((s) => new Promise((r) => (s.closed ? r(null) : s.once('close', r)))))
  expect(Date.now() - started).toBeLessThan(15_000)
  // With its connections gone, the address is served again (once the server has seen them close:
  // the client can see a close a moment before the server's own 'close' event has run).
  await waitFor(async () => /^HTTP\/1\.1 200 OK\r\n/.test(await get('127.0.0.3', '/healthz')), 5_000)

  await waitFor(() => server.output().includes('connections refused: the address holds too many open'))
  const line = server
    .output()
    .split('\n')
    .find((l) => l.includes('connections refused'))!
  expect(JSON.parse(line)).toMatchObject({ level: 40, address: '127.0.0.3', refused: 1 })
}, 30_000)

it('keeps an idle keep-alive connection open past Node’s 5 s default, so a proxy reusing it is answered', async () => {
  const socket = connect('127.0.0.5')
  let text = ''
  socket.on('data', (d) => (text += d))
  const ask = () =>
    socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: keep-alive\r\n\r\n`)
  ask()
  await waitFor(() => text.includes('"status"'))
  expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
  // The hint clients such as undici go by: the server's HTTP_KEEP_ALIVE_TIMEOUT_MS (125 s).
  expect(text).toMatch(/\r\nKeep-Alive: timeout=125\r\n/)
  // Node's default would have closed it after 5 s (plus its 1 s buffer).
  await new Promise((r) => setTimeout(r, 6_500))
  expect(socket.closed).toBe(false)
  text = ''
  ask()
  await waitFor(() => text.includes('"status"'))
  expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
}, 20_000)
