import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { users } from '#db/schema.ts'
import { logger, LOGGED_SQL_LIMIT } from '#app/logger.server.ts'
import { captureProcessLog } from '#tests/helpers/captured-log.ts'
import { createUser } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { rawRequest } from '#tests/helpers/raw-http.ts'

// The process logger is swapped for one with the same options that writes into `lines`.
let log: ReturnType<typeof captureProcessLog>
let lines: string[] = []
let server: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  log = captureProcessLog()
  lines = log.lines
  server = await startTestServer({ appEnv: 'production', sockets: false })
})
afterAll(async () => {
  await server?.close()
  log.restore()
})

/** The log lines written while `run` ran. */
async function captured(run: () => Promise<unknown>) {
  const from = lines.length
  await run()
  // The request line is written on 'finish', which can come just after the client has the body.
  await expect.poll(() => lines.length, { timeout: 2_000 }).toBeGreaterThan(from)
  return lines.slice(from).join('')
}

const SECRET = 'sEcReT0kenValue1234567890abcdefXYZ'

describe('request log', () => {
  it('masks customer-link and invitation tokens in every form routing accepts', async () => {
    const paths = [
      `/support/t/${SECRET}`,
      `/support/t/${SECRET}.data`,
      `/support/t/${SECRET}/files/00000000-0000-0000-0000-000000000000`,
      `/invite/${SECRET}`,
      `/invite/${SECRET}.data?_routes=routes%2Finvite.%24token`,
      `/INVITE/${SECRET}`,
      `/%69nvite/${SECRET}`,
      `/w/../invite/${SECRET}`,
      `/invite/${SECRET}?token=${SECRET}&redirectTo=%2Finvite%2F${SECRET}`,
      // Doubled slashes, encoded slashes, a trailing slash: every spelling of a token path.
      `//reset-password/${SECRET}`,
      `///reset-password//${SECRET}/`,
      `/RESET-PASSWORD/${SECRET}/`,
      `/webhooks/sendgrid//inbound/${SECRET}`,
      `/webhooks/sendgrid/inbound//${SECRET}`,
      `/webhooks%2Fsendgrid%2Finbound/${SECRET}`,
      `/support/t//${SECRET}`,
      `/notifications//unsubscribe/${SECRET}`,
    ]
    for (const path of paths) {
      const log = await captured(() =>
        rawRequest(server.url, { path, headers: { referer: `/invite/${SECRET}` } }),
      )
      expect(log, path).toContain('"msg":"request"')
      expect(log, path).toContain('[token]')
      expect(log, path).not.toContain(SECRET)
    }
  })

  it('masks the Inbound Parse secret of a post with doubled slashes', async () => {
    for (const path of [`/webhooks/sendgrid/inbound//${SECRET}`, `/webhooks/sendgrid//inbound/${SECRET}`]) {
      const log = await captured(() => rawRequest(server.url, { path, method: 'POST' }))
      expect(log, path).toContain('[token]')
      expect(log, path).not.toContain(SECRET)
    }
  })

  it('masks the token of a malformed path refused with 400', async () => {
    const log = await captured(() => rawRequest(server.url, { path: `/invite/${SECRET}%zz` }))
    expect(log).toContain('"status":400')
    expect(log).not.toContain(SECRET)
  })

  it('names the refused host in the log line of a 400, so a proxy that drops Host is easy to spot', async () => {
    const log = await captured(() =>
      rawRequest(server.url, { path: '/login', headers: { host: 'app-internal:3000' } }),
    )
    expect(log).toContain('"status":400')
    expect(log).toContain('"refusedHost":"app-internal:3000"')
  })
})

describe('failed SQL in the log', () => {
  it('logs a failed insert without its parameters (a password hash) and with the SQL truncated', async () => {
    const passwordHash = `scrypt$${SECRET}`
    const error = await getDb()
      .insert(users)
      // A NUL byte makes PostgreSQL refuse the row after the hash has been bound.
      .values({ name: 'Nul\u0000Name', email: 'nul@example.com', passwordHash })
      .then(() => undefined)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect(String((error as Error).message)).toContain(SECRET) // what used to reach the log
    const log = await captured(async () => logger().error({ err: error }, 'request failed'))
    expect(log).toContain('Failed query: insert into \\"users\\"')
    expect(log).not.toContain(SECRET)
    expect(log).not.toContain('"params"')
    const entry = JSON.parse(log) as { err: { message: string; cause?: { message: string } } }
    expect(entry.err.message.length).toBeLessThanOrEqual('Failed query: '.length + LOGGED_SQL_LIMIT + 20)
    expect(entry.err.cause?.message).toMatch(/invalid byte sequence|0x00/)
  })

  it('logs a unique violation without the duplicate value PostgreSQL quotes in its detail', async () => {
    const email = `${SECRET.toLowerCase()}@example.com`
    await createUser({ email })
    const error = await getDb()
      .insert(users)
      .values({ name: 'Twin', email, passwordHash: `scrypt$${SECRET}` })
      .then(() => undefined)
      .catch((e: unknown) => e)
    const log = await captured(async () => logger().error({ err: error }, 'request failed'))
    expect(log).toContain('23505')
    expect(log).toContain('=([redacted]) already exists')
    expect(log.toLowerCase()).not.toContain(SECRET.toLowerCase())
  })
})
