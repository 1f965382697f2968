import { getDb } from '#db/client.ts'
import {
  deleteCannedResponseRow,
  findCannedResponseTitled,
  getCannedResponse,
  insertCannedResponse,
  listCannedResponses as queryCannedResponses,
  updateCannedResponseRow,
  type CannedResponseValues,
} from '#db/queries/canned-responses.ts'
import { lockKeyForTransaction } from '#db/queries/locks.ts'
import type { Tx } from '#db/client.ts'
import { changesNothing, drawnSave, type TeammateSavedFirst } from '#app/utils/drawn-base.ts'
import { recordAudit } from './audit.server.ts'
import { notFound } from './errors.server.ts'
import type { Member } from './workspaces.server.ts'

/** The workspace's canned responses, by title. */
export function listCannedResponses(workspaceId: string) {
  return queryCannedResponses(getDb(), workspaceId)
}

/**
 * Whether another canned response of the workspace has this title, in any case (the composer's
 * picker lists them by title). The workspace's canned-response writes are serialized for the
 * check, so two posts at once cannot both pass it.
 */
async function titleTaken(tx: Tx, workspaceId: string, title: string, exceptId?: string) {
  await lockKeyForTransaction(tx, `canned-responses:${workspaceId}`)
  return Boolean(await findCannedResponseTitled(tx, { workspaceId, title, exceptId }))
}

export type CannedResponseOutcome = { kind: 'saved'; id: string; title: string } | { kind: 'title-taken' }

export async function createCannedResponse(
  member: Member,
  input: CannedResponseValues,
): Promise<CannedResponseOutcome> {
  return getDb().transaction(async (tx) => {
    if (await titleTaken(tx, member.workspaceId, input.title)) return { kind: 'title-taken' as const }
    const row = await insertCannedResponse(tx, { workspaceId: member.workspaceId, values: input })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'canned-response.created',
      targetType: 'canned_response',
      targetId: row.id,
      data: { title: input.title },
    })
    return { kind: 'saved' as const, id: row.id, title: input.title }
  })
}

/**
 * Saves a canned response's title and body. `drawn` is what the admin's form showed when it was
 * drawn: a field posted as drawn was not edited and keeps what is stored, which may be a teammate's
 * change since (one fixed the text while another renamed it: the second save put the old text
 * back). A field edited here that a teammate saved meanwhile, to something else, is a conflict and
 * nothing is saved, unless `replace` names it (the form showed the teammate's value: drawnSave).
 * Null: both as posted.
 */
export async function updateCannedResponse(
  member: Member,
  id: string,
  input: CannedResponseValues,
  drawn: CannedResponseValues | null = null,
  replace: readonly string[] = [],
): Promise<CannedResponseOutcome | TeammateSavedFirst> {
  return getDb().transaction(async (tx) => {
    // Locked: a teammate's save of this response at the same moment waits, then is kept.
    const before = await getCannedResponse(tx, { workspaceId: member.workspaceId, id, forUpdate: true })
    if (!before) throw notFound('No such canned response')
    const stored = { title: before.title, body: before.body }
    const { edited, conflicts } = drawnSave({ stored, posted: input, base: drawn, replace })
    if (conflicts.length > 0) return { kind: 'teammate-saved' as const, fields: conflicts }
    if (changesNothing(stored, edited)) return { kind: 'saved' as const, id, title: stored.title }
    const after = { ...stored, ...edited }
    if (await titleTaken(tx, member.workspaceId, after.title, id)) return { kind: 'title-taken' as const }
    await updateCannedResponseRow(tx, { workspaceId: member.workspaceId, id, values: after })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'canned-response.updated',
      targetType: 'canned_response',
      targetId: id,
      data: { before: stored, after },
    })
    return { kind: 'saved' as const, id, title: after.title }
  })
}

export async function deleteCannedResponse(member: Member, id: string) {
  await getDb().transaction(async (tx) => {
    // Locked: a second delete of it (a double submit, a teammate) waits, then finds no row (404)
    // instead of deleting nothing and auditing a deletion again.
    const before = await getCannedResponse(tx, { workspaceId: member.workspaceId, id, forUpdate: true })
    if (!before) throw notFound('No such canned response')
    await deleteCannedResponseRow(tx, { workspaceId: member.workspaceId, id })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'canned-response.deleted',
      targetType: 'canned_response',
      targetId: id,
      data: { title: before.title, body: before.body },
    })
  })
}
