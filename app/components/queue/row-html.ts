import { statusBadgeClass } from '#app/components/ui/badge.tsx'
import { escapeHtml } from '#app/utils/html.ts'
import { PRIORITY_LABEL, PRIORITY_TEXT, STATUS_LABEL } from '#app/utils/vocabulary.ts'
import type { QueueTableRow } from './queue-table.tsx'

/**
 * The queue row's cells as HTML text, for QueueRow to place with dangerouslySetInnerHTML on the
 * server and in the browser alike (one markup, both sides). A row repeats 25 to 100 times a page
 * and React's server renderer spent most of the inbox's render on the rows' ~30 elements each
 * (docs/performance.md, session 31); as text they are a few string joins. Every value that comes
 * from data goes through `text` (`escapeHtml`), which escapes as React does, so the cells are the bytes React
 * would write for the same elements (tests/unit/queue-row-html.test.ts compares the two).
 */

type RowFormat = {
  relative: (iso: string, now: string) => string
  dateTimeWithZone: (value: string) => string
}

const text = escapeHtml

function icon(name: 'reply' | 'messages' | 'attachments' | 'viewing', className: string) {
  return `<svg aria-hidden="true" class="queue-icon ${className}"><use href="#queue-icon-${name}"></use></svg>`
}

/** Number, subject link and markers, then the snippet or preview line. */
export function subjectCellHtml(row: QueueTableRow, href: string, viewing: string[] | undefined) {
  let html = '<div class="queue-line">'
  if (row.unread) {
    html += '<span class="queue-dot" aria-hidden="true"></span><span class="sr-only">Unread:</span>'
  }
  html += `<span class="queue-number">#${row.number}</span>`
  html += `<a href="${text(href)}" data-discover="true"`
  if (row.gist) html += ` title="${text(`${row.subject} — ${row.gist}`)}"`
  // dir="auto": an Arabic or Hebrew subject reads right to left, its punctuation where it belongs.
  html += ` dir="auto" class="${row.unread ? 'queue-subject font-semibold' : 'queue-subject'}">${text(row.subject)}</a>`
  if (row.hasAttachments) {
    html += `<span class="queue-muted shrink-0" title="Has attachments">${icon('attachments', 'size-3.5')}<span class="sr-only">Has attachments</span></span>`
  }
  if (row.draft) {
    html +=
      '<span class="queue-chip queue-draft" title="You have an unsent draft on this ticket">Draft</span>'
  }
  if (viewing?.length) {
    html += `<span class="queue-chip queue-viewing" title="${text(`Open now: ${viewing.join(', ')}`)}">${icon('viewing', 'queue-icon-viewing')}${text(viewing.map((n) => n.split(' ')[0]).join(', '))}<span class="sr-only"> viewing</span></span>`
  }
  if (row.tags.length > 0) {
    html += '<ul aria-label="Tags" class="queue-tags">'
    const shown = Math.min(row.tags.length, 3)
    for (let i = 0; i < shown; i++) html += `<li class="queue-chip queue-tag">${text(row.tags[i].name)}</li>`
    if (row.tags.length > shown) {
      html += `<li class="queue-chip queue-muted" title="${text(row.tags.map((t) => t.name).join(', '))}">+${row.tags.length - shown}</li>`
    }
    html += '</ul>'
  }
  return html + '</div>' + secondLineHtml(row)
}

/** Under the subject: the search snippet when searching, else the last message's first line. */
function secondLineHtml(row: QueueTableRow) {
  if (row.snippet) {
    let html = '<p class="queue-preview" dir="auto">'
    for (const part of row.snippet) {
      html += part.highlight ? `<mark class="queue-hit">${text(part.text)}</mark>` : text(part.text)
    }
    return html + '</p>'
  }
  const line = row.preview ?? row.gist
  if (!line) return ''
  const fromAgent =
    row.preview && row.previewFromAgent
      ? `${icon('reply', 'queue-icon-line')}<span class="sr-only">Your team replied: </span>`
      : ''
  return `<p class="queue-preview" dir="auto">${fromAgent}${text(line)}</p>`
}

/** The customer's name (email as its tooltip) and the mailbox. */
export function customerCellHtml(row: QueueTableRow) {
  let html = `<p class="truncate" title="${text(row.contactEmail)}" dir="auto">${text(row.contactName || row.contactEmail)}</p>`
  if (row.mailboxName) {
    html += `<p class="queue-mailbox" title="Mailbox"><span class="sr-only">Mailbox: </span>${text(row.mailboxName)}</p>`
  }
  return html
}

/** The status badge (StatusBadge's markup) and a priority other than normal. */
export function statusCellHtml(row: QueueTableRow) {
  let html = `<span class="${statusBadgeClass(row.status)}">${STATUS_LABEL[row.status]}</span>`
  if (row.priority !== 'normal') {
    html += `<p class="text-xs ${PRIORITY_TEXT[row.priority]}"><span class="sr-only">Priority: </span>${PRIORITY_LABEL[row.priority]}</p>`
  }
  return html
}

export function assigneeCellHtml(row: QueueTableRow) {
  return row.assigneeName === null ? '<span class="queue-muted">Unassigned</span>' : text(row.assigneeName)
}

/** How long the customer has waited (or the last activity), and the message count. */
export function whenCellHtml(row: QueueTableRow, format: RowFormat, now: string) {
  const iso = row.waitingSince ?? row.lastActivityAt
  const time = `<time dateTime="${text(iso)}" title="${text(format.dateTimeWithZone(iso))}">${text(format.relative(iso, now))}</time>`
  let html = row.waitingSince
    ? `<p class="queue-waiting" title="Since the customer&#x27;s last message"><span class="sr-only">Waiting for </span>${time}</p>`
    : `<p><span class="sr-only">Last activity </span>${time}</p>`
  if (row.messageCount !== undefined) {
    const n = row.messageCount
    html += `<p title="${n} message${n === 1 ? '' : 's'}">${icon('messages', 'queue-icon-count')}${n}<span class="sr-only">${n === 1 ? ' message' : ' messages'}</span></p>`
  }
  return html
}
