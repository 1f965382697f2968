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

export type CannedResponseOutcome = { kind: 'saved'; id: string } | { kind: 'title-taken' }

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
    return { kind: 'saved' as const, id: row.id }
  })
}

export async function updateCannedResponse(
  member: Member,
  id: string,
  input: CannedResponseValues,
): Promise<CannedResponseOutcome> {
  return getDb().transaction(async (tx) => {
    const before = await getCannedResponse(tx, { workspaceId: member.workspaceId, id })
    if (!before) throw notFound('No such canned response')
    if (await titleTaken(tx, member.workspaceId, input.title, id)) return { kind: 'title-taken' as const }
    await updateCannedResponseRow(tx, { workspaceId: member.workspaceId, id, values: input })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'canned-response.updated',
      targetType: 'canned_response',
      targetId: id,
      data: { before: { title: before.title, body: before.body }, after: input },
    })
    return { kind: 'saved' as const, id }
  })
}

export async function deleteCannedResponse(member: Member, id: string) {
  await getDb().transaction(async (tx) => {
    const before = await getCannedResponse(tx, { workspaceId: member.workspaceId, id })
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
