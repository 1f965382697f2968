import { eq, sql } from 'drizzle-orm'
import { getDb } from '#db/client.ts'
import { inboundEmails } from '#db/schema.ts'
import type { parseEnv } from '#app/env.server.ts'
import { queue, startQueue } from '#app/jobs/queue.server.ts'
import { startWorkers } from '#app/jobs/worker.server.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

const envStore = globalThis as unknown as { __switchboardEnv?: ReturnType<typeof parseEnv> }

/**
 * For an inbound-email test file's beforeAll: the Inbound Parse webhook configured (its secret,
 * the inbound domain, the per-sender hourly cap), the job queue and its workers running, and the
 * production build served without sockets. `close()` stops the server and the queue.
 */
export async function startInboundServer(settings: {
  secret: string
  domain: string
  maxPerSenderHour: number
}) {
  process.env.SENDGRID_INBOUND_SECRET = settings.secret
  process.env.INBOUND_DOMAIN = settings.domain
  process.env.INBOUND_MAX_PER_SENDER_HOUR = String(settings.maxPerSenderHour)
  envStore.__switchboardEnv = undefined
  await startQueue(testDatabaseUrl, { listen: true })
  await startWorkers()
  const server = await startTestServer({ sockets: false })
  return {
    url: server.url,
    async close() {
      await server.close()
      await queue().stop({ graceful: false, timeout: 1000 })
    },
  }
}

/** Waits until the job has processed every stored post (a condition, not a sleep). */
export async function inboundPostsSettled(timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const [row] = await getDb()
      .select({ n: sql<number>`count(*)::int` })
      .from(inboundEmails)
      .where(eq(inboundEmails.status, 'received'))
    if (row.n === 0) return
    if (Date.now() > deadline) throw new Error('inbound jobs did not finish')
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Posts an Inbound Parse body to the server's webhook with the secret, as SendGrid does. */
export async function postInbound(
  server: { url: string },
  secret: string,
  p: { body: Buffer; contentType: string },
) {
  return fetch(`${server.url}/webhooks/sendgrid/inbound/${secret}`, {
    method: 'POST',
    headers: { 'content-type': p.contentType },
    body: new Uint8Array(p.body),
  })
}
