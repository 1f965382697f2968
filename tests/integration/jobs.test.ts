import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { rateLimitHits, sessions } from '#db/schema.ts'
import { enqueue, queue, startQueue } from '#app/jobs/queue.server.ts'
import { cleanupSessions, startWorkers } from '#app/jobs/worker.server.ts'
import { createUser, signIn } from '#tests/helpers/factories.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})
afterAll(async () => {
  await queue().stop({ graceful: false, timeout: 1000 })
})

async function jobCount(name: string) {
  const { rows } = await getDb().execute<{ n: number }>(
    sql`select count(*)::int as n from pgboss.job where name = ${name}`,
  )
  return rows[0].n
}

async function expireSession(userId: string) {
  const { sessionId } = await signIn(userId)
  await getDb()
    .update(sessions)
    .set({ expiresAt: new Date(Date.now() - 60_000) })
    .where(eq(sessions.id, sessionId))
  return sessionId
}

describe('job queue', () => {
  it('keeps no job from a transaction that rolled back, and one from a transaction that committed', async () => {
    const before = await jobCount('sessions.cleanup')
    await expect(
      getDb().transaction(async (tx) => {
        await enqueue(tx, 'sessions.cleanup', {})
        throw new Error('roll back')
      }),
    ).rejects.toThrow('roll back')
    expect(await jobCount('sessions.cleanup')).toBe(before)
    await getDb().transaction(async (tx) => {
      await enqueue(tx, 'sessions.cleanup', {})
    })
    expect(await jobCount('sessions.cleanup')).toBe(before + 1)
  })

  it('cleans up expired sessions and old rate-limit rows, keeping live ones', async () => {
    const user = await createUser()
    const expired = await expireSession(user.id)
    const live = await signIn(user.id)
    await getDb()
      .insert(rateLimitHits)
      .values({ key: 'old', createdAt: new Date(Date.now() - 2 * 24 * 3600 * 1000) })
    await getDb().insert(rateLimitHits).values({ key: 'fresh' })
    const result = await cleanupSessions()
    expect(result.sessions).toBeGreaterThanOrEqual(1)
    const left = await getDb().select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, user.id))
    expect(left.map((s) => s.id)).toEqual([live.sessionId])
    expect(left.map((s) => s.id)).not.toContain(expired)
    const keys = (await getDb().select({ key: rateLimitHits.key }).from(rateLimitHits)).map((r) => r.key)
    expect(keys).toContain('fresh')
    expect(keys).not.toContain('old')
  })

  it('runs the cleanup through the worker when the job is sent', async () => {
    await startWorkers()
    const user = await createUser()
    const expired = await expireSession(user.id)
    await queue().send('sessions.cleanup', {})
    const deadline = Date.now() + 15_000
    let remaining = 1
    while (Date.now() < deadline) {
      remaining = (await getDb().select().from(sessions).where(eq(sessions.id, expired))).length
      if (remaining === 0) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(remaining).toBe(0)
  })
})
