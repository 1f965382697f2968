import { getDb } from '#db/client.ts'
import {
  deleteCannedResponseRow,
  getCannedResponse,
  insertCannedResponse,
  listCannedResponses as queryCannedResponses,
  updateCannedResponseRow,
  type CannedResponseValues,
} from '#db/queries/canned-responses.ts'
import { recordAudit } from './audit.server.ts'
import { notFound } from './errors.server.ts'
import type { Member } from './workspaces.server.ts'

/** The workspace's canned responses, by title. */
export function listCannedResponses(workspaceId: string) {
  return queryCannedResponses(getDb(), workspaceId)
}

export async function createCannedResponse(member: Member, input: CannedResponseValues) {
  return getDb().transaction(async (tx) => {
    const row = await insertCannedResponse(tx, { workspaceId: member.workspaceId, values: input })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'canned-response.created',
      targetType: 'canned_response',
      targetId: row.id,
      data: { title: input.title },
    })
    return row
  })
}

export async function updateCannedResponse(member: Member, id: string, input: CannedResponseValues) {
  await getDb().transaction(async (tx) => {
    const before = await getCannedResponse(tx, { workspaceId: member.workspaceId, id })
    if (!before) throw notFound('No such canned response')
    await updateCannedResponseRow(tx, { workspaceId: member.workspaceId, id, values: input })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'canned-response.updated',
      targetType: 'canned_response',
      targetId: id,
      data: { before: { title: before.title, body: before.body }, after: input },
    })
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
