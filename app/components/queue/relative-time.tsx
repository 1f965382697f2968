const UTC_DATE = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' })
const UTC_DATE_TIME = new Intl.DateTimeFormat('en', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
})

/**
 * "3 min ago", measured against `now` from the server so the server render and hydration
 * produce the same text. Older than a month: the date (in UTC, for the same reason).
 */
export function relativeTime(iso: string, now: string) {
  const seconds = Math.max(0, Math.round((Date.parse(now) - Date.parse(iso)) / 1000))
  if (seconds < 60) return 'just now'
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ago`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return `${hours} h ago`
  const days = Math.floor(hours / 24)
  if (days < 30) return days === 1 ? 'yesterday' : `${days} days ago`
  return UTC_DATE.format(new Date(iso))
}

export function RelativeTime({ iso, now }: { iso: string; now: string }) {
  return (
    <time dateTime={iso} title={`${UTC_DATE_TIME.format(new Date(iso))} UTC`}>
      {relativeTime(iso, now)}
    </time>
  )
}
