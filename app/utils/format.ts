/**
 * Formatting shared by the server render and the browser. Dates are shown in UTC so the server's
 * HTML and the hydrated page agree whatever the visitor's time zone.
 */

const UTC_DATE = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' })
const UTC_DATE_TIME = new Intl.DateTimeFormat('en', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
})

/** "Dec 2, 2026" */
export function formatDate(value: string | Date) {
  return UTC_DATE.format(new Date(value))
}

/** "Dec 2, 2026, 1:05 PM" (UTC) */
export function formatDateTime(value: string | Date) {
  return UTC_DATE_TIME.format(new Date(value))
}

/** "512 B", "1.5 KB", "2.3 MB" */
export function formatBytes(size: number) {
  if (size < 1024) return `${size} B`
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`
  return `${(size / 1024 / 1024).toFixed(1)} MB`
}

/** Navigation counts are capped at 1000 by the query: show that as "999+". */
export function formatCount(n: number) {
  return n >= 1000 ? '999+' : String(n)
}

/**
 * "3 min ago", measured against `now` from the server so the server render and hydration
 * produce the same text. Older than a month: the date.
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
  return formatDate(iso)
}
