import { z } from 'zod'
import { getDb } from '#db/client.ts'
import { emailAttachmentRows, getOutboxEmail as getEmail, listOutboxEmails } from '#db/queries/emails.ts'
import { env } from '#app/env.server.ts'
import { emailLinkTokenToSend, withEmailLink } from './email-link.server.ts'
import { notFound } from './errors.server.ts'

/** The local outbox viewer (/dev/emails): a developer tool that does not exist in production. */

export function requireLocalProfile() {
  if (env().isProduction) throw notFound()
}

const LIST_LIMIT = 500

/** The newest emails first (at most 500: a local outbox, not an archive). */
export async function listOutbox() {
  return listOutboxEmails(getDb(), { limit: LIST_LIMIT })
}

/**
 * One email as its recipient gets it: its customer link's token filled in, as when sent, and the
 * files it carries (a file named by the email that no longer exists is counted in `missingFiles`).
 */
export async function getOutboxEmail(id: string) {
  if (!z.uuid().safeParse(id).success) return undefined
  const row = await getEmail(getDb(), { id })
  if (!row) return undefined
  const { linkId, workspaceId, attachmentIds, ...email } = row
  const token = linkId === null ? undefined : await emailLinkTokenToSend(linkId)
  const files = await emailAttachmentRows(getDb(), { workspaceId, attachmentIds })
  return {
    ...email,
    attachments: files.map(({ filename, contentType, size }) => ({ filename, contentType, size })),
    missingFiles: attachmentIds.length - files.length,
    text: withEmailLink(email.text, linkId, token),
    html: withEmailLink(email.html, linkId, token),
  }
}
