import type { TicketPriority, TicketStatus } from '#app/utils/vocabulary.ts'
import type { QueueTableRow } from './queue-table.tsx'

/**
 * A queue row as the inbox's loader sends it: an array of its values in a fixed order instead of
 * an object, trailing empty values left out. The rows travel as one JSON text (json-text.ts), and
 * in the page's HTML that text sits inside a JavaScript string inside a script, so each quote of a
 * key cost four bytes: 25 rows' keys were ~6 KB of an 85 KB inbox page and ~5 KB of a 16 KB queue
 * `.data` answer (docs/performance.md, session 31). `unpackRows` gives back the rows exactly as
 * packed, with an empty marker absent as before (tests/unit/row-pack.test.ts).
 */
export type PackedRow = [
  id: string,
  number: number,
  subject: string,
  status: TicketStatus,
  priority: TicketPriority,
  lastActivityAt: string,
  contactName: string,
  contactEmail: string,
  assigneeName: string | null,
  /** Each tag's id then its name. */
  tags: string[],
  /** unread 1, draft 2, previewFromAgent 4, hasAttachments 8. */
  flags?: number,
  preview?: string | null,
  gist?: string | null,
  waitingSince?: string | null,
  messageCount?: number | null,
  mailboxName?: string | null,
  /** Each part's text then 1 for a highlight, 0 for plain text. */
  snippet?: Array<string | number> | null,
]

const UNREAD = 1
const DRAFT = 2
const FROM_AGENT = 4
const ATTACHMENTS = 8

export function packRows(rows: readonly QueueTableRow[]): PackedRow[] {
  return rows.map((row) => {
    const tags: string[] = []
    for (const tag of row.tags) tags.push(tag.id, tag.name)
    let snippet: Array<string | number> | null = null
    if (row.snippet) {
      snippet = []
      for (const part of row.snippet) snippet.push(part.text, part.highlight ? 1 : 0)
    }
    const packed: PackedRow = [
      row.id,
      row.number,
      row.subject,
      row.status,
      row.priority,
      row.lastActivityAt,
      row.contactName,
      row.contactEmail,
      row.assigneeName,
      tags,
      (row.unread ? UNREAD : 0) |
        (row.draft ? DRAFT : 0) |
        (row.previewFromAgent ? FROM_AGENT : 0) |
        (row.hasAttachments ? ATTACHMENTS : 0),
      row.preview ?? null,
      row.gist ?? null,
      row.waitingSince ?? null,
      row.messageCount ?? null,
      row.mailboxName ?? null,
      snippet,
    ]
    // Trailing empty values (no snippet, mailbox, count…) are left out; a count of 0 is a value.
    let length = packed.length
    while (length > 10 && (packed[length - 1] === null || (length === 11 && packed[10] === 0))) length--
    packed.length = length
    return packed
  })
}

export function unpackRows(packed: readonly PackedRow[]): QueueTableRow[] {
  return packed.map((p) => {
    const tags: QueueTableRow['tags'] = []
    for (let i = 0; i + 1 < p[9].length; i += 2) tags.push({ id: p[9][i], name: p[9][i + 1] })
    const row: QueueTableRow = {
      id: p[0],
      number: p[1],
      subject: p[2],
      status: p[3],
      priority: p[4],
      lastActivityAt: p[5],
      contactName: p[6],
      contactEmail: p[7],
      assigneeName: p[8],
      tags,
    }
    const flags = p[10] ?? 0
    if (flags & UNREAD) row.unread = true
    const snippet = p[16]
    if (snippet) {
      row.snippet = []
      for (let i = 0; i + 1 < snippet.length; i += 2) {
        row.snippet.push({ text: String(snippet[i]), highlight: snippet[i + 1] === 1 })
      }
    }
    if (p[12] != null) row.gist = p[12]
    if (flags & DRAFT) row.draft = true
    if (p[11] != null) row.preview = p[11]
    if (flags & FROM_AGENT) row.previewFromAgent = true
    if (p[13] != null) row.waitingSince = p[13]
    if (p[14] != null) row.messageCount = p[14]
    if (flags & ATTACHMENTS) row.hasAttachments = true
    if (p[15] != null) row.mailboxName = p[15]
    return row
  })
}
