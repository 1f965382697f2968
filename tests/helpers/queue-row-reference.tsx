import { Fragment } from 'react'
import { StatusBadge } from '#app/components/ui/badge.tsx'
import type { QueueTableRow } from '#app/components/queue/queue-table.tsx'
import { PRIORITY_LABEL, PRIORITY_TEXT } from '#app/utils/vocabulary.ts'

/**
 * The queue row's cells as React elements: the markup app/components/queue/row-html.ts writes as
 * text (tests/unit/queue-row-html.test.ts renders both and compares them byte for byte). This is
 * what the row was before it became text; a change to the row's markup is made in both.
 */
type Format = { relative: (iso: string, now: string) => string; dateTimeWithZone: (v: string) => string }

function Icon({ name, className }: { name: string; className: string }) {
  return (
    <svg aria-hidden className={`queue-icon ${className}`}>
      <use href={`#queue-icon-${name}`} />
    </svg>
  )
}

export function SubjectCell({
  row,
  href,
  viewing,
}: {
  row: QueueTableRow
  href: string
  viewing: string[] | undefined
}) {
  const shownTags = row.tags.slice(0, 3)
  return (
    <>
      <div className="queue-line">
        {row.unread ? (
          <>
            <span className="queue-dot" aria-hidden />
            <span className="sr-only">Unread:</span>
          </>
        ) : null}
        <span className="queue-number">{`#${row.number}`}</span>
        <a
          href={href}
          data-discover="true"
          title={row.gist ? `${row.subject} — ${row.gist}` : undefined}
          dir="auto"
          className={row.unread ? 'queue-subject font-semibold' : 'queue-subject'}
        >
          {row.subject}
        </a>
        {row.hasAttachments ? (
          <span className="queue-muted shrink-0" title="Has attachments">
            <Icon name="attachments" className="size-3.5" />
            <span className="sr-only">Has attachments</span>
          </span>
        ) : null}
        {row.draft ? (
          <span className="queue-chip queue-draft" title="You have an unsent draft on this ticket">
            Draft
          </span>
        ) : null}
        {viewing?.length ? (
          <span className="queue-chip queue-viewing" title={`Open now: ${viewing.join(', ')}`}>
            <Icon name="viewing" className="queue-icon-viewing" />
            {viewing.map((n) => n.split(' ')[0]).join(', ')}
            <span className="sr-only"> viewing</span>
          </span>
        ) : null}
        {shownTags.length > 0 ? (
          <ul aria-label="Tags" className="queue-tags">
            {shownTags.map((tag) => (
              <li key={tag.id} className="queue-chip queue-tag">
                {tag.name}
              </li>
            ))}
            {row.tags.length > shownTags.length ? (
              <li className="queue-chip queue-muted" title={row.tags.map((t) => t.name).join(', ')}>
                {`+${row.tags.length - shownTags.length}`}
              </li>
            ) : null}
          </ul>
        ) : null}
      </div>
      <SecondLine row={row} />
    </>
  )
}

function SecondLine({ row }: { row: QueueTableRow }) {
  if (row.snippet) {
    return (
      <p className="queue-preview" dir="auto">
        {row.snippet.map((part, i) =>
          part.highlight ? (
            <mark key={i} className="queue-hit">
              {part.text}
            </mark>
          ) : (
            <Fragment key={i}>{part.text}</Fragment>
          ),
        )}
      </p>
    )
  }
  const text = row.preview ?? row.gist
  if (!text) return null
  return (
    <p className="queue-preview" dir="auto">
      {row.preview && row.previewFromAgent ? (
        <>
          <Icon name="reply" className="queue-icon-line" />
          <span className="sr-only">Your team replied: </span>
        </>
      ) : null}
      {text}
    </p>
  )
}

export function CustomerCell({ row }: { row: QueueTableRow }) {
  return (
    <>
      <p className="truncate" title={row.contactEmail} dir="auto">
        {row.contactName || row.contactEmail}
      </p>
      {row.mailboxName ? (
        <p className="queue-mailbox" title="Mailbox">
          <span className="sr-only">Mailbox: </span>
          {row.mailboxName}
        </p>
      ) : null}
    </>
  )
}

export function StatusCell({ row }: { row: QueueTableRow }) {
  return (
    <>
      <StatusBadge status={row.status} />
      {row.priority !== 'normal' ? (
        <p className={`text-xs ${PRIORITY_TEXT[row.priority]}`}>
          <span className="sr-only">Priority: </span>
          {PRIORITY_LABEL[row.priority]}
        </p>
      ) : null}
    </>
  )
}

export function AssigneeCell({ row }: { row: QueueTableRow }) {
  return <>{row.assigneeName ?? <span className="queue-muted">Unassigned</span>}</>
}

export function WhenCell({ row, format, now }: { row: QueueTableRow; format: Format; now: string }) {
  const time = (iso: string) => (
    <time dateTime={iso} title={format.dateTimeWithZone(iso)}>
      {format.relative(iso, now)}
    </time>
  )
  return (
    <>
      {row.waitingSince ? (
        <p className="queue-waiting" title="Since the customer's last message">
          <span className="sr-only">Waiting for </span>
          {time(row.waitingSince)}
        </p>
      ) : (
        <p>
          <span className="sr-only">Last activity </span>
          {time(row.lastActivityAt)}
        </p>
      )}
      {row.messageCount !== undefined ? (
        <p title={`${row.messageCount} message${row.messageCount === 1 ? '' : 's'}`}>
          <Icon name="messages" className="queue-icon-count" />
          {`${row.messageCount}`}
          <span className="sr-only">{row.messageCount === 1 ? ' message' : ' messages'}</span>
        </p>
      ) : null}
    </>
  )
}
