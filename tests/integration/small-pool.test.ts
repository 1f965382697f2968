import { and, count, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectDatabase, disconnectDatabase, getDb } from '#db/client.ts'
import { asAnotherRequest, createPool, SecondConnectionError } from '#db/pool.ts'
import { takeRateLimitSlot } from '#db/queries/rate-limits.ts'
import { emails, mailboxes, tickets } from '#db/schema.ts'
import { fileInboundEmail, storeInboundPost } from '#app/domain/inbound-email.server.ts'
import { OUTBOUND_EMAIL_WINDOW_MS, outboundEmailLimit } from '#app/domain/outbound-email-limit.server.ts'
import { findSupportTarget, submitSupportRequest } from '#app/domain/support.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { fixture, rawModePost } from '#tests/helpers/inbound-post.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

/**
 * Work that runs in a transaction must not wait for a second connection of the same pool while
 * it holds one: as many such transactions at once as the pool has connections, and each waits
 * for a connection another holds. The inbound filing took its rate-limit slots that way (its new
 * ticket per sender, the acknowledgement's per sender and the workspace's automatic emails).
 */
const POOL = 2

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})
afterAll(async () => {
  // Back to the pool size every other test file gets (setup-env.ts).
  await disconnectDatabase()
  connectDatabase(testDatabaseUrl, 10)
})

function withinSeconds<T>(seconds: number, work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish within ${seconds} s (pool of ${POOL})`)),
      seconds * 1000,
    )
  })
  return Promise.race([work, late]).finally(() => clearTimeout(timer))
}

describe(`a pool of ${POOL} connections`, () => {
  it('files more inbound emails at once than it has connections, with support-form posts beside them, and emails exactly the automatic budget left', async () => {
    const owner = await createMember('owner')
    const workspaceId = owner.workspace.id
    await getDb()
      .update(mailboxes)
      .set({ autoAcknowledge: true, autoAcknowledgeText: 'Thanks, we got it.' })
      .where(eq(mailboxes.workspaceId, workspaceId))
    // Five automatic emails left in the hour for twelve new tickets.
    const { max } = outboundEmailLimit(false)
    await takeRateLimitSlot(getDb(), {
      key: `outbound-auto:${workspaceId}`,
      max,
      windowMs: OUTBOUND_EMAIL_WINDOW_MS,
      count: max - 5,
    })
    const to = `${owner.workspace.slug}.support@inbound.localhost`
    const stored = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const eml = fixture('forwarded.eml', { FROM: `sender-${i}@example.org`, TO: to, N: `pool${i}` })
        const post = rawModePost(eml, { envelopeTo: [to] })
        const outcome = await storeInboundPost(post.contentType, post.body)
        if (outcome.kind !== 'stored') throw new Error('expected a new post')
        return outcome.id
      }),
    )
    const target = (await findSupportTarget(owner.workspace.slug))!

    await disconnectDatabase()
    connectDatabase(testDatabaseUrl, POOL)
    const filed = stored.map((id) => fileInboundEmail(id))
    const posted = Array.from({ length: 4 }, (_, i) =>
      submitSupportRequest(
        target,
        { name: 'Casey', email: `form-${i}@example.net`, subject: 'Lid', message: `Broken lid ${i}` },
        [],
        `198.51.100.${i + 1}`,
      ),
    )
    const [filings, posts] = await withinSeconds(
      15,
      Promise.all([Promise.all(filed), Promise.all(posted)]),
      `${filed.length} inbound filings and ${posted.length} support-form posts`,
    )

    expect(filings).toEqual(Array(8).fill('filed'))
    expect(posts.map((p) => p.kind)).toEqual(Array(4).fill('created'))
    const [made] = await getDb()
      .select({ n: count() })
      .from(tickets)
      .where(eq(tickets.workspaceId, workspaceId))
    expect(made!.n).toBe(12)
    const automatic = await getDb()
      .select({ kind: emails.kind, n: count() })
      .from(emails)
      .where(
        and(
          eq(emails.workspaceId, workspaceId),
          sql`${emails.kind} in ('auto-acknowledgement', 'ticket-confirmation')`,
        ),
      )
      .groupBy(emails.kind)
    expect(automatic.reduce((sum, row) => sum + row.n, 0)).toBe(5)
    // The form says so when its confirmation was not sent.
    const confirmed = posts.filter((p) => p.kind === 'created' && p.emailed).length
    expect(automatic.find((row) => row.kind === 'ticket-confirmation')?.n ?? 0).toBe(confirmed)
  })
})

describe('the check that a transaction never waits for a second connection of its pool', () => {
  it('fails a transaction that asks its pool for another connection, and rolls it back', async () => {
    const owner = await createMember('owner')
    const before = await getDb()
      .select({ n: count() })
      .from(tickets)
      .where(eq(tickets.workspaceId, owner.workspace.id))
    const attempt = getDb().transaction(async (tx) => {
      await tx.execute(sql`select 1`)
      // getDb() instead of tx: a second connection while this one is held.
      return getDb().select({ n: count() }).from(tickets)
    })
    // Drizzle wraps the pool's error.
    await expect(attempt).rejects.toMatchObject({ cause: expect.any(SecondConnectionError) })
    const after = await getDb()
      .select({ n: count() })
      .from(tickets)
      .where(eq(tickets.workspaceId, owner.workspace.id))
    expect(after).toEqual(before)
  })

  it('fails a transaction started inside another one on the same pool', async () => {
    const attempt = getDb().transaction(async (tx) => {
      await tx.execute(sql`select 1`)
      return getDb().transaction((inner) => inner.execute(sql`select 2`))
    })
    await expect(attempt).rejects.toBeInstanceOf(SecondConnectionError)
    // A savepoint is the transaction's own connection.
    const saved = await getDb().transaction((tx) =>
      tx.transaction((inner) => inner.execute(sql`select 3 as n`)),
    )
    expect(saved.rows[0]).toEqual({ n: 3 })
  })

  it('lets the transaction use its own connection as much as it likes, and another pool', async () => {
    const other = createPool(testDatabaseUrl, 1)
    other.on('error', () => {})
    try {
      const seen = await getDb().transaction(async (tx) => {
        const [a, b] = await Promise.all([tx.execute(sql`select 1 as n`), tx.execute(sql`select 2 as n`)])
        const elsewhere = await other.query<{ n: number }>('select 3 as n')
        return [a.rows[0]!.n, b.rows[0]!.n, elsewhere.rows[0]!.n]
      })
      expect(seen).toEqual([1, 2, 3])
    } finally {
      await other.end()
    }
  })

  it('does not count work a transaction started that runs after it ended, nor a request raced against it on purpose', async () => {
    let ended!: () => void
    const transactionEnded = new Promise<void>((resolve) => (ended = resolve))
    let later: Promise<unknown> | undefined
    const raced = await getDb().transaction(async (tx) => {
      await tx.execute(sql`select 1`)
      // Started here, run once the transaction has ended.
      later = transactionEnded.then(() => getDb().execute(sql`select 2 as n`))
      return asAnotherRequest(() => getDb().execute(sql`select 3 as n`))
    })
    ended()
    expect(raced.rows[0]).toEqual({ n: 3 })
    await expect(later).resolves.toMatchObject({ rows: [{ n: 2 }] })
  })
})
