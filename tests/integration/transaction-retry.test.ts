import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb, isTransactionConflict, TRANSACTION_ATTEMPTS } from '#db/client.ts'
import { runBulkAction } from '#app/domain/bulk-actions.server.ts'
import { changeTicket } from '#app/domain/ticket-page.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

beforeAll(async () => {
  // Assignments enqueue webhook jobs in the same transaction.
  await startQueue(testDatabaseUrl)
})

describe('top-level transactions that lose a deadlock are run again', () => {
  it('two transactions locking two rows in opposite orders both commit', async () => {
    const db = getDb()
    await db.execute(sql`create table deadlock_probe (id int primary key, n int not null)`)
    await db.execute(sql`insert into deadlock_probe values (1, 0), (2, 0)`)
    let locked = 0
    let calls = 0
    // Each takes its first row, waits (on its first run only) until the other has taken its own,
    // then asks for the other's: PostgreSQL finds the cycle and aborts one of them.
    const crossing = (first: number, second: number) =>
      db.transaction(async (tx) => {
        const run = ++calls
        await tx.execute(sql`update deadlock_probe set n = n + 1 where id = ${first}`)
        if (run <= 2) {
          locked++
          while (locked < 2) await new Promise((resolve) => setTimeout(resolve, 5))
        }
        await tx.execute(sql`update deadlock_probe set n = n + 1 where id = ${second}`)
        return run
      })
    const results = await Promise.all([crossing(1, 2), crossing(2, 1)])
    expect(results).toHaveLength(2)
    // The loser ran twice: three runs in all, and each row counted exactly two commits.
    expect(calls).toBe(3)
    const rows = await db.execute<{ id: number; n: number }>(
      sql`select id, n from deadlock_probe order by id`,
    )
    expect(rows.rows).toEqual([
      { id: 1, n: 2 },
      { id: 2, n: 2 },
    ])
  })

  it('an error that is not a conflict is thrown at once, and a conflict only so often', async () => {
    let calls = 0
    await expect(
      getDb().transaction(async () => {
        calls++
        throw Object.assign(new Error('unique_violation'), { code: '23505' })
      }),
    ).rejects.toThrow('unique_violation')
    expect(calls).toBe(1)
    calls = 0
    const conflict = new Error('wrapped', {
      cause: Object.assign(new Error('deadlock detected'), { code: '40P01' }),
    })
    expect(isTransactionConflict(conflict)).toBe(true)
    await expect(
      getDb().transaction(async () => {
        calls++
        throw conflict
      }),
    ).rejects.toBe(conflict)
    expect(calls).toBe(TRANSACTION_ATTEMPTS)
  })

  it('bulk changes and sidebar edits by two agents at once all succeed', async () => {
    // The probe that found it: bulk assign, tag and status over overlapping tickets while single
    // tickets' status and priority change, all at once (deadlocks in 3 of 14 rounds before).
    const owner = await createMember('owner')
    const agent = await createMember('agent', owner.workspace)
    const made = []
    for (let i = 0; i < 12; i++) made.push(await createTicketFor(owner))
    const ids = made.map((t) => t.ticketId)
    const numbers = made.map((t) => t.number)
    const actor = { workspaceId: owner.workspace.id, userId: owner.user.id }
    for (let round = 0; round < 4; round++) {
      const statuses = ['open', 'pending'] as const
      const outcomes = await Promise.all([
        runBulkAction(actor, {
          ticketIds: ids,
          operation: 'assign',
          assigneeId: round % 2 ? agent.user.id : null,
        }),
        runBulkAction(actor, { ticketIds: ids.slice(0, 8), operation: 'tag', tag: `round-${round}` }),
        runBulkAction(actor, { ticketIds: ids.slice(4), operation: 'status', status: statuses[round % 2] }),
        ...numbers
          .slice(0, 6)
          .reverse()
          .map((number, i) =>
            changeTicket(asMember(i % 2 ? agent : owner) as never, number, {
              status: statuses[(round + i) % 2],
              priority: i % 2 ? 'high' : 'low',
            }),
          ),
      ])
      for (const outcome of outcomes) expect((outcome as { kind: string }).kind).toBe('updated')
    }
  }, 60_000)
})
