import { getDb } from '#db/client.ts'
import { listQueueRowDetails } from '#db/queries/queue-rows.ts'
import type { Member } from './workspaces.server.ts'

/** At most this many characters of the preview line. */
const PREVIEW_CHARS = 160

/**
 * The first line of a message as one trimmed line of plain text: quoted lines (`>`) and blank
 * lines are passed over, runs of white space collapse, and it is cut at PREVIEW_CHARS.
 */
export function previewLine(body: string | null) {
  if (!body) return null
  const line = body
    .split(/\r?\n/)
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .find((l) => l && !l.startsWith('>'))
  if (!line) return null
  return line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS - 1).trimEnd()}…` : line
}

export type QueueRowDetails = {
  mailboxName: string
  preview: string | null
  previewFromAgent: boolean
  waitingSince: string | null
  messageCount: number
  hasAttachments: boolean
}

/** Ticket id → what its queue row shows under and beside the subject. */
export async function queueRowDetails(member: Member, ticketIds: string[]) {
  const rows = await listQueueRowDetails(getDb(), { workspaceId: member.workspaceId, ticketIds })
  return new Map<string, QueueRowDetails>(
    rows.map((row) => [
      row.id,
      {
        mailboxName: row.mailboxName,
        preview: previewLine(row.preview),
        previewFromAgent: row.previewFromAgent,
        waitingSince: row.waitingSince?.toISOString() ?? null,
        messageCount: row.messageCount,
        hasAttachments: row.hasAttachments,
      },
    ]),
  )
}
