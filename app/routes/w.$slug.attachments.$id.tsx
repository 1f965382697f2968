import type { LoaderFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import { findMemberAttachment } from '#app/domain/attachments.server.ts'
import { notFound } from '#app/domain/errors.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { streamFile } from '#app/http/files.server.ts'

const AttachmentId = z.uuid()

/** Streams an attachment to an agent of its workspace (resource route: no UI). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const id = AttachmentId.safeParse(params.id)
  if (!id.success) throw notFound('Attachment not found')
  const response = await streamFile(await findMemberAttachment(member, id.data))
  if (!response) throw notFound('Attachment not found')
  return response
}
