import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ServerBuild } from '@remix-run/node'
import { createApp } from '#app/http/app.server.ts'
import { attachSocketServer, closeSocketServer } from '#app/realtime/hub.server.ts'

/**
 * The real Express app and Socket.IO server over the production Remix build (npm run build),
 * on a free port, against this test file's database.
 */
export async function startTestServer() {
  const build = (await import('../../build/server/index.js' as string)) as ServerBuild
  const appOrigin = 'http://localhost:3000'
  const app = createApp({ appOrigin, dev: false, build, clientDir: 'build/client' })
  const server = http.createServer(app)
  attachSocketServer(server, { allowedOrigins: [appOrigin], databaseUrl: process.env.TEST_DATABASE_URL })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      await closeSocketServer()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
