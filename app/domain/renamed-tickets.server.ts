import { createHash, randomUUID } from 'node:crypto'
import { getDb, type DbOrTx } from '#db/client.ts'
import { markTicketsShowingName, type ShownNameScope } from '#db/queries/renamed-tickets.ts'
import { enqueue, type JobPayloads } from '#app/jobs/queue.server.ts'

/**
 * Tickets marked per transaction. A mailbox may hold 100,000 tickets: marking them all in the
 * rename's transaction held their rows about 25 s (measured on the 2-core test machine), while
 * any reply, assignment or status change of one of them waited. A batch of 1,000 holds its rows
 * for tens of milliseconds (docs/performance.md).
 */
export const RENAME_BATCH = 1000

/**
 * A mailbox's or a member's new name changes what the API shows of their tickets (`mailbox.name`,
 * `assignee.name`, messages' `author.name`), so each is marked updated (`updated_since`,
 * `changed_after`): the first batch here, in the rename's transaction, and the rest by the
 * `tickets.name-changed` job, one batch per transaction, enqueued with the rename (it exists
 * exactly when the rename committed). No `ticket.updated` webhook and no live event: a rename
 * can concern 100,000 tickets, and every receiver would get as many deliveries (docs/api.md).
 */
export async function markRenamedTickets(tx: DbOrTx, scope: ShownNameScope) {
  const { last } = await markTicketsShowingName(tx, { scope, after: null, limit: RENAME_BATCH })
  if (last) await enqueueNextBatch(tx, { scope, after: last, walk: randomUUID() })
}

/** One job of the walk: its batch and the job for the next one commit together. */
export async function markNextRenamedBatch(data: JobPayloads['tickets.name-changed']) {
  return getDb().transaction(async (tx) => {
    const { marked, last } = await markTicketsShowingName(tx, {
      scope: data.scope,
      after: data.after,
      limit: RENAME_BATCH,
    })
    if (last) await enqueueNextBatch(tx, { ...data, after: last })
    return { marked, done: last === null }
  })
}

/**
 * The next batch's job id is made of the walk and where the batch begins: a job run again after
 * its transaction committed (its process died before pg-boss recorded it done) enqueues the same
 * id, which pg-boss skips, rather than a second walk over the rest.
 */
async function enqueueNextBatch(tx: DbOrTx, data: JobPayloads['tickets.name-changed']) {
  const hex = createHash('sha256').update(`${data.walk}:${data.after}`).digest('hex')
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`
  await enqueue(tx, 'tickets.name-changed', data, { id })
}
