/**
 * Formatting shared by the server render and the browser. Dates are shown in the viewer's time
 * zone (the user's stored zone, UTC until they have one), passed in explicitly so the server's
 * HTML and the hydrated page agree; components get it through `useFormatters()`.
 */

export const DEFAULT_TIME_ZONE = 'UTC'

type ZoneFormats = { date: Intl.DateTimeFormat; dateTime: Intl.DateTimeFormat }
const byZone = new Map<string, ZoneFormats>()

/** Intl formatters are costly to build: one pair per zone, built on first use. */
function formatsFor(timeZone: string): ZoneFormats {
  let formats = byZone.get(timeZone)
  if (!formats) {
    formats = {
      date: new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone }),
      dateTime: new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone }),
    }
    byZone.set(timeZone, formats)
  }
  return formats
}

/**
 * Formatted timestamps, by zone and ISO string: a list renders the same timestamps on every
 * request (the inbox's 25 rows, a thread's messages), and each Intl format call was a visible
 * part of the server's render. Pure functions of their inputs, so any page may share them; at
 * most 5,000 are kept (cleared when full).
 */
const formatted = new Map<string, string>()
const FORMATTED_MAX = 5_000

function formatWith(kind: keyof ZoneFormats, value: string | Date, timeZone: string) {
  if (typeof value !== 'string') return formatsFor(timeZone)[kind].format(value)
  const key = `${kind} ${timeZone} ${value}`
  let text = formatted.get(key)
  if (text === undefined) {
    text = formatsFor(timeZone)[kind].format(new Date(value))
    if (formatted.size >= FORMATTED_MAX) formatted.clear()
    formatted.set(key, text)
  }
  return text
}

/** "Dec 2, 2026" in the zone. */
export function formatDate(value: string | Date, timeZone = DEFAULT_TIME_ZONE) {
  return formatWith('date', value, timeZone)
}

/** "Dec 2, 2026, 1:05 PM" in the zone. */
export function formatDateTime(value: string | Date, timeZone = DEFAULT_TIME_ZONE) {
  return formatWith('dateTime', value, timeZone)
}

/** A tooltip that names the zone: "Dec 2, 2026, 10:05 PM (Asia/Tokyo)". */
export function formatDateTimeWithZone(value: string | Date, timeZone = DEFAULT_TIME_ZONE) {
  return `${formatDateTime(value, timeZone)} (${timeZone})`
}

/** "512 B", "1.5 KB", "2.3 MB" */
export function formatBytes(size: number) {
  if (size < 1024) return `${size} B`
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`
  return `${(size / 1024 / 1024).toFixed(1)} MB`
}

/** Navigation counts are exact (kept by PostgreSQL in queue_counts): "7", "1,234". */
// One formatter for every count: `toLocaleString` builds a new one per call (the layout's and the
// home page's counts: ~1% of the home page's server CPU, issue 12).
const COUNT_FORMAT = new Intl.NumberFormat('en-US')

export function formatCount(n: number) {
  return COUNT_FORMAT.format(n)
}

/**
 * "3 min ago", measured against `now` from the server so the server render and hydration
 * produce the same text. Older than a month: the date in the zone.
 */
export function relativeTime(iso: string, now: string, timeZone = DEFAULT_TIME_ZONE) {
  const seconds = Math.max(0, Math.round((Date.parse(now) - Date.parse(iso)) / 1000))
  if (seconds < 60) return 'just now'
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ago`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return `${hours} h ago`
  const days = Math.floor(hours / 24)
  if (days < 30) return days === 1 ? 'yesterday' : `${days} days ago`
  return formatDate(iso, timeZone)
}

/** Every IANA zone this runtime knows, plus UTC (which Intl does not list). */
export function timeZoneNames(): string[] {
  return [DEFAULT_TIME_ZONE, ...Intl.supportedValuesOf('timeZone')]
}

/**
 * The zone's name as `timeZoneNames()` lists it (Intl accepts any case and aliases such as
 * Asia/Kolkata), or null when it is not a zone of the list.
 */
export function listedTimeZone(zone: string): string | null {
  let canonical: string
  try {
    canonical = new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone
  } catch {
    return null
  }
  if (canonical === 'Etc/UTC' || canonical === 'Etc/GMT') return DEFAULT_TIME_ZONE
  return timeZoneNames().includes(canonical) ? canonical : null
}
