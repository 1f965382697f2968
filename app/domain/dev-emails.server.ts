import { z } from 'zod'
import { getDb } from '#db/client.ts'
import { getOutboxEmail as getEmail, listOutboxEmails } from '#db/queries/emails.ts'
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

/** One email as its recipient gets it: its customer link's token filled in, as when sent. */
export async function getOutboxEmail(id: string) {
  if (!z.uuid().safeParse(id).success) return undefined
  const row = await getEmail(getDb(), { id })
  if (!row) return undefined
  const { linkId, ...email } = row
  const token = linkId === null ? undefined : await emailLinkTokenToSend(linkId)
  return {
    ...email,
    text: withEmailLink(email.text, linkId, token),
    html: withEmailLink(email.html, linkId, token),
  }
}
