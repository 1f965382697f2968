import { getDb } from '#db/client.ts'
import { getAttachment } from '#db/queries/tickets.ts'
import { notFound } from './errors.server.ts'
import type { Member } from './workspaces.server.ts'

/**
 * The attachment `id` of the member's workspace (its metadata: app/http/files.server.ts streams
 * it); 404 when it is not theirs.
 */
export async function findMemberAttachment(member: Member, id: string) {
  const file = await getAttachment(getDb(), { workspaceId: member.workspaceId, id })
  if (!file) throw notFound('Attachment not found')
  return file
}
