import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { rateLimitCounters, sessions } from '#db/schema.ts'
import { enqueue, queue, startQueue } from '#app/jobs/queue.server.ts'
import { cleanupSessions, startWorkers } from '#app/jobs/worker.server.ts'
import { createUser, createWorkspace, signIn } from '#tests/helpers/factories.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { until, waitFor } from '#tests/helpers/wait.ts'

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

  it('cleans up expired sessions and rate-limit counters past their last window, keeping live ones', async () => {
    const user = await createUser()
    const expired = await expireSession(user.id)
    const live = await signIn(user.id)
    // A counter still counts until the end of the window after its own.
    const minute = 60 * 1000
    await getDb()
      .insert(rateLimitCounters)
      .values([
        {
          key: 'old',
          windowStart: new Date(Date.now() - 31 * minute),
          hits: 3,
          expiresAt: new Date(Date.now() - minute),
        },
        {
          key: 'fresh',
          windowStart: new Date(Date.now() - 16 * minute),
          hits: 3,
          expiresAt: new Date(Date.now() + 14 * minute),
        },
      ])
    const result = await cleanupSessions()
    expect(result.sessions).toBeGreaterThanOrEqual(1)
    const left = await getDb().select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, user.id))
    expect(left.map((s) => s.id)).toEqual([live.sessionId])
    expect(left.map((s) => s.id)).not.toContain(expired)
    const keys = (await getDb().select({ key: rateLimitCounters.key }).from(rateLimitCounters)).map(
      (r) => r.key,
    )
    expect(keys).toContain('fresh')
    expect(keys).not.toContain('old')
  })

  it('sweeps AI run claims a dead process left, in batches, keeping live ones and those just past their lease', async () => {
    const workspace = await createWorkspace()
    // Past their lease for 10 minutes: their calls' processes died (a live call deletes its own).
    await getDb().execute(sql`
      insert into ai_run_claims (workspace_id, key, claim, claimed_until)
      select ${workspace.id}, 'summary:' || g, gen_random_uuid(), now() - interval '10 minutes'
      from generate_series(1, 2500) g`)
    await getDb().execute(sql`
      insert into ai_run_claims (workspace_id, key, claim, claimed_until) values
        (${workspace.id}, 'triage:just-lapsed', gen_random_uuid(), now() - interval '1 minute'),
        (${workspace.id}, 'triage:live', gen_random_uuid(), now() + interval '60 seconds')`)
    const result = await cleanupSessions()
    expect(result.aiRunClaims).toBe(2500)
    const left = await getDb().execute<{ key: string }>(
      sql`select key from ai_run_claims where workspace_id = ${workspace.id} order by key`,
    )
    expect(left.rows.map((r) => r.key)).toEqual(['triage:just-lapsed', 'triage:live'])
    expect((await cleanupSessions()).aiRunClaims).toBe(0)
  })

  it('runs the cleanup through the worker when the job is sent', async () => {
    await startWorkers()
    const user = await createUser()
    const expired = await expireSession(user.id)
    await queue().send('sessions.cleanup', {})
    await waitFor(
      async () => (await getDb().select().from(sessions).where(eq(sessions.id, expired))).length === 0,
      15_000,
    )
  })
})

describe('email delivery job', () => {
  it('delivers a queued reply through the worker and marks the message sent', async () => {
    const { createMember, createTicketFor } = await import('#tests/helpers/factories.ts')
    const { replyToTicket } = await import('#app/domain/messages.server.ts')
    const { emails, messages } = await import('#db/schema.ts')
    // A second set of workers next to the ones the test above started does no harm.
    await startWorkers()
    const member = await createMember()
    const ticket = await createTicketFor(member)
    const outcome = await replyToTicket(
      {
        userId: member.user.id,
        role: 'owner',
        workspaceId: member.workspace.id,
        workspaceSlug: member.workspace.slug,
        workspaceName: 'W',
        user: { name: member.user.name },
      },
      ticket.number,
      { kind: 'reply', body: 'On its way' },
    )
    if (outcome.kind !== 'sent') throw new Error('expected sent')
    await until(
      () =>
        getDb()
          .select({ status: messages.deliveryStatus })
          .from(messages)
          .where(eq(messages.id, outcome.messageId)),
      ([row]) => row.status === 'sent',
      15_000,
    )
    const [email] = await getDb().select().from(emails).where(eq(emails.messageId, outcome.messageId))
    expect(email).toMatchObject({ status: 'sent', providerId: 'local-outbox' })
  })
})

describe('orphan file cleanup', () => {
  it('removes day-old stored files that no attachment names, and keeps referenced and fresh ones', async () => {
    const fs = await import('node:fs')
    const path = await import('node:path')
    const { Readable } = await import('node:stream')
    const { storeStream, pathFor } = await import('#app/integrations/storage.server.ts')
    const { cleanupOrphanFiles } = await import('#app/jobs/files-cleanup.server.ts')
    const { createMember, createTicketFor } = await import('#tests/helpers/factories.ts')
    const { attachments, messages } = await import('#db/schema.ts')
    const orphan = await storeStream(Readable.from([Buffer.from(`orphan ${Math.random()}`)]), 1000)
    const kept = await storeStream(Readable.from([Buffer.from(`kept ${Math.random()}`)]), 1000)
    const fresh = await storeStream(Readable.from([Buffer.from(`fresh ${Math.random()}`)]), 1000)
    const member = await createMember()
    const ticket = await createTicketFor(member)
    const [message] = await getDb().select().from(messages).where(eq(messages.ticketId, ticket.ticketId))
    await getDb().insert(attachments).values({
      workspaceId: member.workspace.id,
      messageId: message.id,
      filename: 'kept.txt',
      contentType: 'text/plain',
      size: kept.size,
      sha256: kept.sha256,
    })
    const dayAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000)
    for (const file of [orphan, kept]) fs.utimesSync(pathFor(file.sha256), dayAgo, dayAgo)
    const tmpFile = path.join(path.dirname(path.dirname(pathFor(orphan.sha256))), 'tmp', 'interrupted-upload')
    fs.writeFileSync(tmpFile, 'partial')
    fs.utimesSync(tmpFile, dayAgo, dayAgo)
    const { removed } = await cleanupOrphanFiles()
    expect(removed).toBeGreaterThanOrEqual(2)
    expect(fs.existsSync(pathFor(orphan.sha256))).toBe(false)
    expect(fs.existsSync(tmpFile)).toBe(false)
    expect(fs.existsSync(pathFor(kept.sha256))).toBe(true)
    expect(fs.existsSync(pathFor(fresh.sha256))).toBe(true)
  })
})
