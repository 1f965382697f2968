import { getDb } from '#db/client.ts'
import { getAttachment } from '#db/queries/tickets.ts'
import { notFound } from './errors.server.ts'
import type { Member } from './workspaces.server.ts'

/**
 * The attachment `id` of the member's workspace (its metadata: app/http/files.server.ts streams
 * it); 404 when it is not theirs, or when it belongs to a teammate's reply still in its undo
 * window (the thread does not show that reply to anyone but its author: it may be taken back).
 */
export async function findMemberAttachment(member: Member, id: string) {
  const file = await getAttachment(getDb(), { workspaceId: member.workspaceId, id })
  if (!file || (file.held && file.authorUserId !== member.userId)) throw notFound('Attachment not found')
  return file
}
