import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ServerBuild } from '@remix-run/node'
import { createApp } from '#app/http/app.server.ts'
import { answerOversizedHeads, REQUEST_HEAD_READ_LIMIT } from '#app/http/request-head.server.ts'
import { attachSocketServer, closeSocketServer } from '#app/realtime/hub.server.ts'

type TestServerOptions = {
  /** Defaults to production (no loopback aliases, HSTS when appOrigin is https). */
  appEnv?: 'local' | 'production'
  /** APP_URL's origin; defaults to the address the server listens on. */
  appOrigin?: (url: string) => string
  trustProxy?: string | number
  /** Socket.IO is a process singleton: a file that starts several servers turns it off. */
  sockets?: boolean
  /** false: GET `.data` requests go through Remix's request handler (app/http/single-fetch-loaders.server.ts). */
  leanDataRequests?: boolean
  streamedPages?: boolean
}

/**
 * The real Express app and Socket.IO server over the production Remix build (npm run build),
 * on a free port, against this test file's database.
 */
export async function startTestServer(options: TestServerOptions = {}) {
  const build = (await import('../../build/server/index.js' as string)) as ServerBuild
  // As server.ts makes it: heads over 16 KB reach the app, beyond 64 KB its clientError answer.
  const server = http.createServer({ maxHeaderSize: REQUEST_HEAD_READ_LIMIT })
  answerOversizedHeads(server)
  // Listen first: APP_URL is the address tests reach, so its Host passes the host check.
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  const appOrigin = options.appOrigin?.(url) ?? url
  const app = createApp({
    appOrigin,
    appEnv: options.appEnv ?? 'production',
    dev: false,
    build,
    clientDir: 'build/client',
    trustProxy: options.trustProxy,
    leanDataRequests: options.leanDataRequests,
    streamedPages: options.streamedPages,
  })
  server.on('request', app)
  const sockets = options.sockets ?? true
  if (sockets) {
    attachSocketServer(server, {
      appOrigin,
      appEnv: options.appEnv ?? 'production',
      trustProxy: options.trustProxy,
      databaseUrl: process.env.TEST_DATABASE_URL,
    })
  }
  return {
    url,
    port,
    appOrigin,
    /** The Node server itself (its connections, for tests of what a connection carries). */
    httpServer: server,
    async close() {
      if (sockets) await closeSocketServer()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * Response headers that differ per request or per connection, or with how the same bytes are
 * framed (one write with a length, or chunks): left out when two servers' answers are compared.
 */
export const VARYING_HEADERS: ReadonlySet<string> = new Set([
  'date',
  'x-request-id',
  'content-security-policy',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
])
