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
 * Bytes of attachments (as stored) that this process holds for sends at once. A send holds about
 * five times its files' size until SendGrid answers (the file, its base64, the JSON body as a
 * string and as the request's buffer): eight parallel sends of a 22 MB file each held 885 MB.
 * One email of any size may always go alone; others wait their turn, in order.
 */
export const ATTACHMENT_BYTES_AT_ONCE = 32_000_000
/** A send that waited this long for its turn is tried again later (its claim's lease is 60 s). */
export const ATTACHMENT_TURN_WAIT_MS = 15_000

type Turn = { bytes: number; grant: () => void }
const turns = { held: 0, waiting: [] as Turn[] }

function grantTurns() {
  while (turns.waiting.length > 0) {
    const next = turns.waiting[0]!
    if (turns.held > 0 && turns.held + next.bytes > ATTACHMENT_BYTES_AT_ONCE) return
    turns.waiting.shift()
    turns.held += next.bytes
    next.grant()
  }
}

/** Waits until `bytes` more fit (or nothing else is held); resolves to its release, or undefined on timeout. */
function takeTurn(bytes: number, waitMs: number): Promise<(() => void) | undefined> {
  return new Promise((resolve) => {
    const turn: Turn = {
      bytes,
      grant: () => {
        clearTimeout(timer)
        let released = false
        resolve(() => {
          if (released) return
          released = true
          turns.held -= bytes
          grantTurns()
        })
      },
    }
    const timer = setTimeout(() => {
      turns.waiting.splice(turns.waiting.indexOf(turn), 1)
      grantTurns()
      resolve(undefined)
    }, waitMs)
    turns.waiting.push(turn)
    grantTurns()
  })
}

/**
 * Runs `send` with the files the email carries (attachmentsToSend), once this process has room
 * for them (ATTACHMENT_BYTES_AT_ONCE), and lets the next send in as soon as `send` ends. No wait
 * for an email without files.
 */
export async function withAttachmentsToSend<T>(
  email: { workspaceId: string | null; attachmentIds: string[] },
  send: (attachments: TransportAttachment[]) => Promise<T>,
): Promise<T> {
  if (email.attachmentIds.length === 0) return send([])
  const rows = await emailAttachmentRows(getDb(), email)
  const bytes = rows.reduce((sum, row) => sum + row.size, 0)
  const release = await takeTurn(bytes, ATTACHMENT_TURN_WAIT_MS)
  if (!release) {
    throw new TransportError(
      "Waiting for other emails' attachments to go first; tried again shortly",
      'transient',
    )
  }
  try {
    return await send(await attachmentsOf(email, rows, { read: true }))
  } finally {
    release()
  }
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
  return attachmentsOf(email, await emailAttachmentRows(getDb(), email), { read })
}

async function attachmentsOf(
  email: { attachmentIds: string[] },
  rows: Awaited<ReturnType<typeof emailAttachmentRows>>,
  { read }: { read: boolean },
): Promise<TransportAttachment[]> {
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
