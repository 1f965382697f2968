import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import type { QueueTableRow } from '#app/components/queue/queue-table.tsx'
import {
  assigneeCellHtml,
  customerCellHtml,
  statusCellHtml,
  subjectCellHtml,
  whenCellHtml,
} from '#app/components/queue/row-html.ts'
import { formatDateTimeWithZone, relativeTime } from '#app/utils/format.ts'
import { TICKET_PRIORITIES, TICKET_STATUSES } from '#app/utils/vocabulary.ts'
import {
  AssigneeCell,
  CustomerCell,
  StatusCell,
  SubjectCell,
  WhenCell,
} from '../helpers/queue-row-reference.tsx'

/**
 * The queue's rows are written as HTML text (app/components/queue/row-html.ts) and placed with
 * dangerouslySetInnerHTML, so nothing escapes their data but that file. Every cell must be, byte
 * for byte, what React renders for the same row as elements (tests/helpers/queue-row-reference.tsx):
 * that proves the escaping of every value from the data (text and attributes) and keeps the markup
 * the rest of the app and its tests rely on.
 */

const HOSTILE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "O'Brien & Sons <sales@example.com>",
  '&amp; &lt; already escaped',
  '`${x}` {{x}} </td></tr></table>',
  'Ünïcödé 日本語 😀 — “quotes”',
  ' leading and trailing  ',
  '\u2028line\u2029separators\ttab\nnewline',
  'plain',
]

function pick<T>(values: readonly T[], i: number): T {
  return values[i % values.length]
}

const ZONE = 'America/New_York'
const format = {
  relative: (iso: string, now: string) => relativeTime(iso, now, ZONE),
  dateTimeWithZone: (value: string) => formatDateTimeWithZone(value, ZONE),
}
const NOW = '2026-12-06T12:00:00.000Z'
const TIMES = [
  '2026-12-06T11:59:30.000Z',
  '2026-12-06T09:00:00.000Z',
  '2026-11-02T08:00:00.000Z',
  '2025-01-01T00:00:00.000Z',
]

/** Row i: every optional field present or absent, every status and priority, hostile text. */
function row(i: number): QueueTableRow {
  const bit = (n: number) => ((i >> n) & 1) === 1
  const s = (n: number) => pick(HOSTILE, i + n)
  return {
    id: `id-${i}`,
    number: 1000 + i,
    subject: s(0),
    status: pick(TICKET_STATUSES, i),
    priority: pick(TICKET_PRIORITIES, i >> 1),
    lastActivityAt: pick(TIMES, i),
    contactName: bit(0) ? s(1) : '',
    contactEmail: s(2),
    assigneeName: bit(1) ? s(3) : null,
    unread: bit(2) || undefined,
    tags: Array.from({ length: i % 6 }, (_, t) => ({ id: `t${t}`, name: s(4 + t) })),
    snippet: bit(3)
      ? [
          { text: s(5), highlight: false },
          { text: s(6), highlight: true },
          { text: s(7), highlight: false },
        ]
      : null,
    draft: bit(4) || undefined,
    gist: bit(5) ? s(8) : null,
    preview: bit(6) ? s(9) : bit(7) ? null : undefined,
    previewFromAgent: bit(8) || undefined,
    waitingSince: bit(9) ? pick(TIMES, i + 1) : null,
    messageCount: bit(10) ? undefined : i % 3,
    hasAttachments: bit(11) || undefined,
    mailboxName: bit(12) ? s(10) : undefined,
  }
}

const ROWS = Array.from({ length: 4096 }, (_, i) => row(i * 7 + (i >> 5)))

function react(component: unknown, props: object) {
  return renderToStaticMarkup(createElement(component as never, props))
}

describe('queue row cells as text', () => {
  it('write what React renders for the subject cell (markers, tags, snippet, preview)', () => {
    for (const [i, r] of ROWS.entries()) {
      const viewing = i % 4 === 0 ? [pick(HOSTILE, i), 'Ana Lima'] : i % 4 === 1 ? [] : undefined
      const href = `/w/acme/tickets/${r.number}?${new URLSearchParams({ from: `q=${pick(HOSTILE, i)}&view=all` })}#latest`
      expect(subjectCellHtml(r, href, viewing)).toBe(react(SubjectCell, { row: r, href, viewing }))
    }
  })

  it('write what React renders for the customer, status, assignee and time cells', () => {
    for (const r of ROWS) {
      expect(customerCellHtml(r)).toBe(react(CustomerCell, { row: r }))
      expect(statusCellHtml(r)).toBe(react(StatusCell, { row: r }))
      expect(assigneeCellHtml(r)).toBe(react(AssigneeCell, { row: r }))
      expect(whenCellHtml(r, format, NOW)).toBe(react(WhenCell, { row: r, format, now: NOW }))
    }
  })

  it('leave no markup from the data in the cells', () => {
    const r: QueueTableRow = {
      ...row(0),
      subject: '<b>bold</b>',
      gist: '" onmouseover="alert(1)',
      contactName: '<i>name</i>',
      assigneeName: '<u>agent</u>',
      mailboxName: '<s>box</s>',
      tags: [{ id: 't', name: '<em>tag</em>' }],
    }
    const html =
      subjectCellHtml(r, '/x?a="b"&c=<d>', ['<q>Viewer</q> Name']) + customerCellHtml(r) + assigneeCellHtml(r)
    for (const tag of ['<b>', '<i>', '<u>', '<s>', '<em>', '<q>', '<d>']) expect(html).not.toContain(tag)
    expect(html).not.toContain('" onmouseover')
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt;')
    expect(html).toContain('href="/x?a=&quot;b&quot;&amp;c=&lt;d&gt;"')
  })
})
