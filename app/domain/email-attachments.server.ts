import { access } from 'node:fs/promises'
import { getDb } from '#db/client.ts'
import { emailAttachmentRows } from '#db/queries/emails.ts'
import { TransportError, type TransportAttachment } from '#app/integrations/sendgrid.server.ts'
import { pathFor, readStored } from '#app/integrations/storage.server.ts'

/**
 * SendGrid's limit for one message: 30 MB in all, the parts, headers and attachments (as base64)
 * together (https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send, "Limitations").
 */
export const EMAIL_SIZE_LIMIT = 30_000_000

/** Headers, MIME boundaries and each attachment's part headers: far less than this. */
const ENVELOPE_RESERVE = 200_000

/** A message's file as an email names it. */
export type EmailFile = { id: string; filename: string; contentType: string; size: number }

/** Which of a message's files its email carries, and which it only names (too large to go with it). */
export type EmailFiles = { attached: EmailFile[]; notAttached: EmailFile[] }

export function base64Length(size: number) {
  return 4 * Math.ceil(size / 3)
}

/**
 * The files that go with an email whose rendered parts are `parts` (text and HTML; a second copy
 * for BCC recipients counts too, as SendGrid receives both), in the message's order: each file
 * whose base64 still fits under EMAIL_SIZE_LIMIT goes, one that does not is left out (named in the
 * email instead), and a smaller one after it may still go. The parts count three times their
 * UTF-8 size: quoted-printable writes a byte outside ASCII as three.
 */
export function fitAttachments(files: EmailFile[], parts: string[]): EmailFiles {
  const partsBytes = parts.reduce((sum, part) => sum + 3 * Buffer.byteLength(part), 0)
  let room = EMAIL_SIZE_LIMIT - ENVELOPE_RESERVE - partsBytes
  const out: EmailFiles = { attached: [], notAttached: [] }
  for (const file of files) {
    const length = base64Length(file.size)
    if (length <= room) {
      out.attached.push(file)
      room -= length
    } else {
      out.notAttached.push(file)
    }
  }
  return out
}

/**
 * The type SendGrid is given for an attachment: the stored one (a label the uploader's browser or
 * mail client chose) when it is a plain `type/subtype`, without parameters; else
 * application/octet-stream. SendGrid refuses a type with `;` or a line break.
 */
export function attachmentType(contentType: string) {
  const type = contentType.split(';')[0]!.trim().toLowerCase()
  return /^[a-z0-9][\w.+-]*\/[\w.+-]+$/.test(type) ? type : 'application/octet-stream'
}

/**
 * The files an email carries, read from storage for this send (every attempt, Retry and redrive
 * reads them again), as SendGrid's `attachments`. A file that cannot be sent stops the send
 * rather than letting the email go without it (its text says it is attached): its row gone (the
 * message was deleted) or its bytes missing from DATA_DIR/files fail the email at once, shown on
 * the reply with the reason and a Retry; a read that failed otherwise (a disk error) is transient
 * and retried. `read: false` (the local outbox, which sends nothing) only checks that each file
 * is there.
 */
export async function attachmentsToSend(
  email: { workspaceId: string | null; attachmentIds: string[] },
  { read }: { read: boolean },
): Promise<TransportAttachment[]> {
  if (email.attachmentIds.length === 0) return []
  const rows = await emailAttachmentRows(getDb(), email)
  if (rows.length !== email.attachmentIds.length) {
    throw new TransportError(
      'Not sent: a file this email carries no longer exists (its message or attachment was deleted)',
      'permanent',
    )
  }
  const out: TransportAttachment[] = []
  for (const row of rows) {
    let content = ''
    try {
      if (read) content = (await readStored(row.sha256)).toString('base64')
      else await access(pathFor(row.sha256))
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') {
        throw new TransportError(
          `Not sent: its attachment "${row.filename}" is missing from the file storage (DATA_DIR/files). Put the file back and Retry, or send a new reply with it`,
          'permanent',
        )
      }
      throw new TransportError(
        `Its attachment "${row.filename}" could not be read${code ? ` (${code})` : ''}`,
        'transient',
      )
    }
    out.push({
      content,
      filename: row.filename,
      type: attachmentType(row.contentType),
      disposition: 'attachment',
    })
  }
  return out
}
