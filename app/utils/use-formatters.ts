import { useRouteLoaderData } from '@remix-run/react'
import { useMemo } from 'react'
import type { loader as rootLoader } from '#app/root.tsx'
import {
  DEFAULT_TIME_ZONE,
  formatDate,
  formatDateTime,
  formatDateTimeWithZone,
  relativeTime,
} from './format.ts'

/** The viewer's time zone, from the root loader: their stored zone, else UTC. */
export function useTimeZone() {
  return useRouteLoaderData<typeof rootLoader>('root')?.timeZone ?? DEFAULT_TIME_ZONE
}

/**
 * The date formatters bound to the viewer's time zone. The server renders with the same stored
 * zone, so the hydrated text matches.
 */
export function useFormatters() {
  const timeZone = useTimeZone()
  return useMemo(
    () => ({
      timeZone,
      date: (value: string | Date) => formatDate(value, timeZone),
      dateTime: (value: string | Date) => formatDateTime(value, timeZone),
      /** Tooltip text naming the zone. */
      dateTimeWithZone: (value: string | Date) => formatDateTimeWithZone(value, timeZone),
      relative: (iso: string, now: string) => relativeTime(iso, now, timeZone),
    }),
    [timeZone],
  )
}
