import { z } from 'zod'
import { getDb } from '#db/client.ts'
import {
  BULK_CHANGED,
  BULK_UNDONE,
  getBulkBatch,
  getUserName,
  lockBulkBatch,
} from '#db/queries/bulk-actions.ts'
import {
  deleteTicketTag,
  ensureTag,
  getTicketChangeVersions,
  lockTicketsForUpdate,
  touchTickets,
} from '#db/queries/tickets.ts'
import { uuidv7 } from '#db/uuid.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { STATUS_LABEL, TICKET_STATUSES, type TicketStatus } from '#app/utils/vocabulary.ts'
import { recordAudit } from './audit.server.ts'
import { addTags, lockAssignee, updateTickets, type UpdateOutcome } from './tickets.server.ts'
import { enqueueWebhooks } from './webhooks.server.ts'

/** How long after a bulk action its Undo still works (the toast shows for seconds; the no-JS banner stays). */
export const UNDO_WINDOW_MS = 15 * 60 * 1000

type BulkActor = { workspaceId: string; userId: string }

export type BulkInput = { ticketIds: string[] } & (
  | { operation: 'assign'; assigneeId: string | null }
  | { operation: 'status'; status: TicketStatus }
  | { operation: 'tag'; tag: string }
)

/** What the batch's audit row keeps: enough to put back exactly the tickets it changed. */
const BatchData = z.object({
  operation: z.enum(['assign', 'status', 'tag']),
  /** The value the action set: a status, an assignee's user id (null: unassigned), a tag id. */
  value: z.string().nullable(),
  /** The tag's name, for the messages. */
  label: z.string().optional(),
  /**
   * Tag batches: the rows the action added carry its batch id (ticket_tags.bulk_batch_id), so
   * the Undo removes only those. Missing on batches recorded before that column.
   */
  marked: z.boolean().optional(),
  tickets: z.array(
    z.object({
      id: z.string(),
      number: z.number(),
      before: z.string().nullable(),
      /**
       * Status and assignee batches: the ticket's change count for that field (tickets.
       * status_version / assignee_version) as the action left it. Missing on batches recorded
       * before those columns, which compare the value instead.
       */
      version: z.number().optional(),
    }),
  ),
})
type BatchData = z.infer<typeof BatchData>

export type BulkOutcome =
  | (Extract<UpdateOutcome, { kind: 'updated' }> & { batchId: string | null })
  | Exclude<UpdateOutcome, { kind: 'updated' }>

function updatedTickets(events: TicketEvent[], change: string) {
  return events.flatMap((e) =>
    e.type === 'ticket.updated' && change in e.changes ? [{ id: e.ticketId, number: e.number }] : [],
  )
}

/**
 * A bulk change from the queue, with its undo record written in the same transaction: the
 * status or assignee each changed ticket had before, or which tickets the tag was new on.
 * Tickets the action did not change (already in that state) are not part of the batch.
 * The "before" values come from the rows as locked here (in id order, as updateTickets locks
 * them): read without the lock, a teammate's change committing in between made the record
 * name a value the ticket no longer had, which Undo then put back.
 */
export async function runBulkAction(actor: BulkActor, input: BulkInput): Promise<BulkOutcome> {
  return getDb().transaction(async (tx) => {
    if (input.operation === 'assign' && !(await lockAssignee(tx, actor, input))) {
      return { kind: 'unknown-assignee' as const }
    }
    const before = await lockTicketsForUpdate(tx, {
      workspaceId: actor.workspaceId,
      ticketIds: input.ticketIds,
    })
    if (before.length !== new Set(input.ticketIds).size) return { kind: 'not-found' as const }
    const beforeOf = new Map(before.map((t) => [t.id, t]))
    let outcome: UpdateOutcome
    let data: BatchData
    const batchId = uuidv7()
    if (input.operation === 'tag') {
      const tag = await ensureTag(tx, { workspaceId: actor.workspaceId, name: input.tag })
      outcome = await addTags(actor, input.ticketIds, [tag.name], tx, { bulkBatchId: batchId })
      if (outcome.kind !== 'updated') return outcome
      const tickets = updatedTickets(outcome.events, 'tagsAdded').map((t) => ({ ...t, before: null }))
      data = { operation: 'tag', value: tag.id, label: tag.name, marked: true, tickets }
    } else {
      const field = input.operation === 'status' ? 'status' : 'assigneeId'
      const changes =
        input.operation === 'status' ? { status: input.status } : { assigneeId: input.assigneeId }
      outcome = await updateTickets(actor, input.ticketIds, changes, tx)
      if (outcome.kind !== 'updated') return outcome
      const changed = updatedTickets(outcome.events, field)
      // Read after the change, from the rows still locked here: the count the Undo expects.
      const versions = new Map(
        (
          await getTicketChangeVersions(tx, {
            workspaceId: actor.workspaceId,
            ticketIds: changed.map((t) => t.id),
          })
        ).map((v) => [v.id, field === 'status' ? v.statusVersion : v.assigneeVersion]),
      )
      const tickets = changed.map((t) => ({
        ...t,
        before: beforeOf.get(t.id)?.[field] ?? null,
        version: versions.get(t.id),
      }))
      const value = input.operation === 'status' ? input.status : input.assigneeId
      data = { operation: input.operation, value, tickets }
    }
    if (data.tickets.length === 0) return { ...outcome, batchId: null }
    await recordAudit(tx, {
      workspaceId: actor.workspaceId,
      actorUserId: actor.userId,
      action: BULK_CHANGED,
      targetType: 'bulk',
      targetId: batchId,
      data,
    })
    return { ...outcome, batchId }
  })
}

export type UndoOutcome =
  | { kind: 'undone'; restored: number; skipped: number; events: TicketEvent[] }
  | { kind: 'not-found' }
  | { kind: 'already-undone' }
  | { kind: 'expired' }

/**
 * Puts back what a bulk action changed, on exactly its tickets, in one transaction. A ticket
 * someone changed again since (its status or assignee changed since the action, even if changed
 * back: its change count moved; its tag is no longer the row the action added, also after a
 * remove and add again) keeps its newer state and counts as skipped. Only the agent who ran the action can undo it.
 * The tickets are locked (in id order) before they are compared, so a change committing while
 * the undo runs is either seen here and kept, or waits and lands after the undo.
 */
export async function undoBulkAction(actor: BulkActor, batchId: string): Promise<UndoOutcome> {
  return getDb().transaction(async (tx) => {
    await lockBulkBatch(tx, { batchId })
    const batch = await getBulkBatch(tx, { workspaceId: actor.workspaceId, batchId })
    if (!batch.changed || batch.changed.actorUserId !== actor.userId) return { kind: 'not-found' as const }
    if (batch.undone) return { kind: 'already-undone' as const }
    if (Date.now() - batch.changed.createdAt.getTime() > UNDO_WINDOW_MS) return { kind: 'expired' as const }
    const data = BatchData.parse(batch.changed.data)
    const ids = data.tickets.map((t) => t.id)
    const current = new Map(
      (await lockTicketsForUpdate(tx, { workspaceId: actor.workspaceId, ticketIds: ids })).map((t) => [
        t.id,
        t,
      ]),
    )
    const events: TicketEvent[] = []
    let restored = 0

    if (data.operation === 'tag' && data.value) {
      for (const ticket of data.tickets) {
        // What the delete removed, not an earlier read, and only the row this action added: a
        // teammate who removed the tag, or removed it and added it again, keeps their state.
        const removed = await deleteTicketTag(tx, {
          workspaceId: actor.workspaceId,
          ticketId: ticket.id,
          tagId: data.value,
          bulkBatchId: data.marked ? batchId : undefined,
        })
        if (removed.length === 0) continue
        await recordAudit(tx, {
          workspaceId: actor.workspaceId,
          actorUserId: actor.userId,
          action: 'ticket.untagged',
          targetType: 'ticket',
          targetId: ticket.id,
          data: { removed: data.label, undo: batchId },
        })
        events.push({
          type: 'ticket.updated',
          workspaceId: actor.workspaceId,
          ticketId: ticket.id,
          number: ticket.number,
          changes: { tagRemoved: data.label },
          actorUserId: actor.userId,
          at: new Date().toISOString(),
        })
        restored++
      }
      await touchTickets(tx, { ticketIds: events.map((e) => e.ticketId), at: new Date() })
      await enqueueWebhooks(tx, actor.workspaceId, events)
    } else if (data.operation !== 'tag') {
      const field = data.operation === 'status' ? 'status' : 'assigneeId'
      const versionField = data.operation === 'status' ? 'statusVersion' : 'assigneeVersion'
      // Still as the action left them, grouped by what they had before. "As left" is the field's
      // change count, not its value: a ticket changed and changed back since (A → B → A) was
      // touched by someone, and keeps its state.
      const groups = new Map<string | null, string[]>()
      for (const ticket of data.tickets) {
        const now = current.get(ticket.id)
        if (!now) continue
        const untouched =
          ticket.version === undefined ? now[field] === data.value : now[versionField] === ticket.version
        if (!untouched) continue
        groups.set(ticket.before, [...(groups.get(ticket.before) ?? []), ticket.id])
      }
      for (const [before, ticketIds] of groups) {
        const status = TICKET_STATUSES.find((s) => s === before)
        if (field === 'status' && !status) continue
        const outcome = await updateTickets(
          actor,
          ticketIds,
          field === 'status' ? { status } : { assigneeId: before },
          tx,
          { notifyAssignee: false },
        )
        // A former assignee who has left the workspace: those tickets stay as they are.
        if (outcome.kind !== 'updated') continue
        events.push(...outcome.events)
        restored += ticketIds.length
      }
    }
    const skipped = data.tickets.length - restored
    await recordAudit(tx, {
      workspaceId: actor.workspaceId,
      actorUserId: actor.userId,
      action: BULK_UNDONE,
      targetType: 'bulk',
      targetId: batchId,
      data: { restored, skipped },
    })
    return { kind: 'undone' as const, restored, skipped, events }
  })
}

export type BulkResult = {
  batchId: string
  /** "12 tickets assigned to Bea Bulk". */
  message: string
  undoable: boolean
  /** Set once undone: how many tickets were put back and how many had changed since. */
  undone: { restored: number; skipped: number } | null
}

const plural = (n: number) => `${n} ticket${n === 1 ? '' : 's'}`

/**
 * The result of one of the member's own bulk actions, for the toast (with JavaScript) or the
 * banner (without): what it did and whether Undo is still possible. Undefined for anything else.
 */
export async function describeBulkResult(
  member: BulkActor,
  batchId: string | null | undefined,
): Promise<BulkResult | undefined> {
  if (!batchId || !z.uuid().safeParse(batchId).success) return undefined
  const db = getDb()
  const batch = await getBulkBatch(db, { workspaceId: member.workspaceId, batchId })
  if (!batch.changed || batch.changed.actorUserId !== member.userId) return undefined
  const parsed = BatchData.safeParse(batch.changed.data)
  if (!parsed.success) return undefined
  const data = parsed.data
  const count = plural(data.tickets.length)
  let message: string
  if (data.operation === 'tag') message = `${count} tagged “${data.label ?? ''}”`
  else if (data.operation === 'status') {
    const status = TICKET_STATUSES.find((s) => s === data.value)
    message = `${count} set to ${status ? STATUS_LABEL[status] : data.value}`
  } else if (data.value === null) message = `${count} unassigned`
  else if (data.value === member.userId) message = `${count} assigned to you`
  else message = `${count} assigned to ${(await getUserName(db, { userId: data.value })) ?? 'a teammate'}`
  const undoneData = z.object({ restored: z.number(), skipped: z.number() }).safeParse(batch.undone?.data)
  return {
    batchId,
    message,
    undoable: !batch.undone && Date.now() - batch.changed.createdAt.getTime() <= UNDO_WINDOW_MS,
    undone: batch.undone ? (undoneData.success ? undoneData.data : { restored: 0, skipped: 0 }) : null,
  }
}
