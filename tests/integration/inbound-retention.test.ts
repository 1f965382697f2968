import fs from 'node:fs'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { inboundEmails, messages } from '#db/schema.ts'
import { fileInboundEmail, storeInboundPost } from '#app/domain/inbound-email.server.ts'
import { deleteOldInboundPosts } from '#app/domain/inbound-retention.server.ts'
import { type parseEnv } from '#app/env.server.ts'
import { pathFor } from '#app/integrations/storage.server.ts'
import { queue, startQueue } from '#app/jobs/queue.server.ts'
import { startWorkers } from '#app/jobs/worker.server.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { fixture, rawModePost } from '#tests/helpers/inbound-post.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { waitFor } from '#tests/helpers/wait.ts'

const INBOUND = 'in.retention.test'
const DAY = 24 * 60 * 60 * 1000
const envStore = globalThis as unknown as { __switchboardEnv?: ReturnType<typeof parseEnv> }
let n = 0

beforeAll(async () => {
  process.env.INBOUND_DOMAIN = INBOUND
  process.env.INBOUND_RAW_RETENTION_DAYS = '30'
  process.env.INBOUND_FAILED_RETENTION_DAYS = '90'
  envStore.__switchboardEnv = undefined
  await startQueue(testDatabaseUrl, { listen: true })
})
afterAll(async () => {
  await queue().stop({ graceful: false, timeout: 1000 })
})

/** Stores a real Inbound Parse post, files it (unless told not to) and ages it by `daysAgo`. */
async function inboundPost(options: { to?: string; daysAgo: number; file?: boolean }) {
  const m = await createMember()
  const to = options.to ?? `${m.workspace.slug}.support@${INBOUND}`
  const eml = fixture('forwarded.eml', { FROM: 'alex@example.org', TO: to, N: `retention${++n}` })
  const stored = await storeInboundPost(...postOf(rawModePost(eml, { envelopeTo: [to] })))
  if (stored.kind !== 'stored') throw new Error('expected a new post')
  if (options.file !== false) await fileInboundEmail(stored.id)
  const at = new Date(Date.now() - options.daysAgo * DAY)
  await getDb()
    .update(inboundEmails)
    .set({ receivedAt: at, ...(options.file !== false ? { processedAt: at } : {}) })
    .where(eq(inboundEmails.id, stored.id))
  return row(stored.id)
}

const postOf = (p: { body: Buffer; contentType: string }) => [p.contentType, p.body] as const

async function row(id: string) {
  const [r] = await getDb().select().from(inboundEmails).where(eq(inboundEmails.id, id))
  return r
}

const fileExists = (sha256: string) => fs.existsSync(pathFor(sha256))

describe('email.inbound-retention', () => {
  it('deletes the raw post of an email filed more than 30 days ago, keeping its row and its message', async () => {
    const old = await inboundPost({ daysAgo: 31 })
    expect(old.status).toBe('filed')
    const sha = old.rawSha256!
    expect(fileExists(sha)).toBe(true)
    const recent = await inboundPost({ daysAgo: 29 })

    const outcome = await deleteOldInboundPosts()
    expect(outcome.posts).toBeGreaterThanOrEqual(1)

    const after = await row(old.id)
    expect(after).toMatchObject({ status: 'filed', rawSha256: null, raw: null, ticketId: old.ticketId })
    expect(fileExists(sha)).toBe(false)
    const [message] = await getDb().select().from(messages).where(eq(messages.inboundEmailId, old.id))
    expect(message.bodyText).toContain('Can you take this one?')
    // Within the window: untouched.
    expect((await row(recent.id)).rawSha256).toBe(recent.rawSha256)
    expect(fileExists(recent.rawSha256!)).toBe(true)
  })

  it('keeps unrouted posts for the longer window and never deletes a post that is not filed yet', async () => {
    const unrouted45 = await inboundPost({ to: 'nobody@elsewhere.test', daysAgo: 45 })
    expect(unrouted45.status).toBe('unrouted')
    const unrouted91 = await inboundPost({ to: 'nobody@elsewhere.test', daysAgo: 91 })
    const waiting = await inboundPost({ daysAgo: 400, file: false })
    expect(waiting.status).toBe('received')

    await deleteOldInboundPosts()

    expect((await row(unrouted45.id)).rawSha256).toBe(unrouted45.rawSha256)
    expect(fileExists(unrouted45.rawSha256!)).toBe(true)
    expect((await row(unrouted91.id)).rawSha256).toBeNull()
    expect(fileExists(unrouted91.rawSha256!)).toBe(false)
    expect((await row(waiting.id)).rawSha256).toBe(waiting.rawSha256)
    expect(fileExists(waiting.rawSha256!)).toBe(true)
    // The post still waiting can be filed afterwards.
    expect(await fileInboundEmail(waiting.id)).toBe('filed')
  })

  it('keeps a stored file another post still names (files are shared by content address)', async () => {
    const old = await inboundPost({ daysAgo: 60 })
    // A second row naming the same bytes, still within its window.
    await getDb().execute(sql`
      insert into inbound_emails (id, sha256, content_type, raw_sha256, size, status, received_at, processed_at)
      values (gen_random_uuid(), ${`copy-${old.sha256}`}, ${old.contentType}, ${old.rawSha256}, ${old.size},
              'filed', now(), now())`)
    await deleteOldInboundPosts()
    expect((await row(old.id)).rawSha256).toBeNull()
    expect(fileExists(old.rawSha256!)).toBe(true)
  })

  it('is a scheduled pg-boss job that the worker runs', async () => {
    // Filed before the workers start, so no email.inbound worker files it a second time.
    const old = await inboundPost({ daysAgo: 35 })
    await startWorkers()
    const [schedule] = (
      await getDb().execute<{ cron: string }>(
        sql`select cron from pgboss.schedule where name = 'email.inbound-retention'`,
      )
    ).rows
    expect(schedule?.cron).toBe('47 2 * * *')
    await queue().send('email.inbound-retention', {})
    // The row is forgotten first, its file removed right after: wait for both.
    await waitFor(async () => (await row(old.id)).rawSha256 === null && !fileExists(old.rawSha256!), 15_000)
  })
})
