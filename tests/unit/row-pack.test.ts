import { describe, expect, it } from 'vitest'
import type { QueueTableRow } from '#app/components/queue/queue-table.tsx'
import { packRows, unpackRows } from '#app/components/queue/row-pack.ts'
import { TICKET_PRIORITIES, TICKET_STATUSES } from '#app/utils/vocabulary.ts'

/**
 * The inbox's rows travel packed (an array of values per row, trailing empty values left out)
 * and the page unpacks them: every row must come back exactly as the loader made it, each empty
 * marker absent as the queue's loader leaves it (queueRow in app/domain/queue.server.ts).
 */
function row(i: number): QueueTableRow {
  const bit = (n: number) => ((i >> n) & 1) === 1
  const out: QueueTableRow = {
    id: `0190${i}`,
    number: i + 1,
    subject: bit(0) ? `Subject "${i}" \\ ü 😀` : '',
    status: TICKET_STATUSES[i % 4],
    priority: TICKET_PRIORITIES[(i >> 2) % 4],
    lastActivityAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    contactName: bit(1) ? `Name ${i}` : '',
    contactEmail: `c${i}@example.com`,
    assigneeName: bit(2) ? `Agent ${i}` : null,
    tags: Array.from({ length: i % 5 }, (_, t) => ({ id: `t${t}`, name: t === 1 ? '' : `tag ${t}` })),
  }
  if (bit(3)) out.unread = true
  if (bit(4)) {
    out.snippet = [
      { text: 'before ', highlight: false },
      { text: 'refund', highlight: true },
      { text: '', highlight: false },
      { text: '1', highlight: true },
    ].slice(0, (i % 4) + 1)
  }
  if (bit(5)) out.gist = `gist ${i}`
  if (bit(6)) out.draft = true
  if (bit(7)) out.preview = bit(12) ? '' : `preview ${i}`
  if (bit(8)) out.previewFromAgent = true
  if (bit(9)) out.waitingSince = new Date(Date.UTC(2025, 5, 1) + i * 1000).toISOString()
  if (bit(10)) out.messageCount = i % 3
  if (bit(11)) out.hasAttachments = true
  if (bit(13)) out.mailboxName = bit(0) ? '' : `Mailbox ${i}`
  return out
}

describe('packed queue rows', () => {
  it('come back exactly as packed, through JSON, for every combination of fields', () => {
    const rows = Array.from({ length: 1 << 14 }, (_, i) => row(i))
    const back = unpackRows(JSON.parse(JSON.stringify(packRows(rows))))
    expect(back).toHaveLength(rows.length)
    for (const [i, r] of rows.entries()) {
      // toStrictEqual: an absent marker stays absent (not undefined, not false or null).
      expect(back[i], `row ${i}`).toStrictEqual(r)
    }
  })

  it('keep a count of 0 and an empty snippet, and leave out only trailing empty values', () => {
    const base = row(0)
    const [counted] = unpackRows(packRows([{ ...base, messageCount: 0 }]))
    expect(counted.messageCount).toBe(0)
    const [empty] = unpackRows(packRows([{ ...base, snippet: [] }]))
    expect(empty.snippet).toEqual([])
    expect(packRows([base])[0]).toHaveLength(10)
    expect(packRows([{ ...base, unread: true }])[0]).toHaveLength(11)
  })

  it('are smaller than the rows as objects', () => {
    const rows = Array.from({ length: 25 }, (_, i) => row(i * 331))
    expect(JSON.stringify(packRows(rows)).length).toBeLessThan(JSON.stringify(rows).length * 0.75)
  })
})
