import http from 'node:http'
import net from 'node:net'
import { afterEach, expect, it } from 'vitest'

import { compileTrustProxy } from '#app/http/security.server.ts'
import { connectionCeiling, guardConnections } from '#app/http/connection-guard.server.ts'
import { waitFor } from '#tests/helpers/wait.ts'

const servers: http.Server[] = []
const sockets: net.Socket[] = []
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

async function serve(options: Omit<Parameters<typeof guardConnections>[1], 'trust'> & { trust?: string }) {
  let handled = 0
  const server = http.createServer((_req, res) => {
    handled += 1
    res.end('ok')
  })
  servers.push(server)
  guardConnections(server, { ...options, trust: compileTrustProxy(options.trust ?? '10.9.9.9') })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  return { server, port, handled: () => handled }
}

/** An idle connection from `from` (any 127.x address is this machine), open once connected. */
async function hold(port: number, from: string) {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress: from })
  sockets.push(socket)
  socket.on('error', () => {})
  await new Promise((r) => socket.once('connect', r))
  return socket
}

/** One request on a new connection from `from`: the raw answer, read to the close. */
async function ask(port: number, from: string) {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress: from })
  sockets.push(socket)
  let text = ''
  socket.on('data', (d) => (text += d))
  socket.on('error', () => {})
  socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  await new Promise((r) => socket.once('close', r))
  return text
}

it('answers a connection over its address’s cap with 503 and Retry-After, reads nothing of it, and serves other addresses', async () => {
  const reports: Array<[string, number]> = []
  const { port, handled } = await serve({ maxPerAddress: 3, onRefused: (a, n) => reports.push([a, n]) })
  const held = [await hold(port, '127.0.0.3'), await hold(port, '127.0.0.3'), await hold(port, '127.0.0.3')]

  const refused = await ask(port, '127.0.0.3')
  expect(refused).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/)
  expect(refused).toMatch(/\r\nRetry-After: 5\r\n/)
  expect(refused).toMatch(/Too many open connections from your address/)
  expect(await ask(port, '127.0.0.3')).toMatch(/^HTTP\/1\.1 503/)
  expect(handled()).toBe(0)
  // Reported once (the first refusal); the second is counted for the next report.
  expect(reports).toEqual([['127.0.0.3', 1]])

  expect(await ask(port, '127.0.0.4')).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/)

  // A closed connection gives its place back.
  held[0]!.destroy()
  await waitFor(async () => /^HTTP\/1\.1 200 OK/.test(await ask(port, '127.0.0.3')), 5_000)
  expect(handled()).toBe(2)
})

it('does not cap a trusted proxy’s address, which speaks for many clients', async () => {
  const { port } = await serve({ maxPerAddress: 2, trust: '127.0.0.5' })
  for (let i = 0; i < 5; i++) await hold(port, '127.0.0.5')
  expect(await ask(port, '127.0.0.5')).toMatch(/^HTTP\/1\.1 200 OK/)
  await hold(port, '127.0.0.6')
  await hold(port, '127.0.0.6')
  expect(await ask(port, '127.0.0.6')).toMatch(/^HTTP\/1\.1 503/)
})

it('caps the server’s connections as a whole, and reports the drops', async () => {
  let dropped = 0
  const { port } = await serve({ maxPerAddress: 0, maxConnections: 4, onDropped: (n) => (dropped += n) })
  for (let i = 0; i < 4; i++) await hold(port, `127.0.1.${i + 1}`)
  const extra = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.1.9' })
  sockets.push(extra)
  extra.on('error', () => {})
  await new Promise((r) => extra.once('close', r))
  expect(dropped).toBe(1)
})

it('keeps a reserve of file descriptors below the open-files limit', () => {
  const limits = (soft: number) =>
    `Limit                     Soft Limit           Hard Limit           Units     \nMax open files            ${soft}                ${soft}                files     \n`
  expect(connectionCeiling(limits(20_000))).toBe(19_000)
  expect(connectionCeiling(limits(1_024))).toBe(512)
  expect(connectionCeiling(limits(1_048_576))).toBe(1_047_576)
  expect(connectionCeiling('Max open files            unlimited            unlimited            files')).toBe(
    undefined,
  )
  expect(connectionCeiling(undefined)).toBe(undefined)
})
