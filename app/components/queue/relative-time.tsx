import { formatDateTime, relativeTime } from '#app/utils/format.ts'

export function RelativeTime({ iso, now }: { iso: string; now: string }) {
  return (
    <time dateTime={iso} title={`${formatDateTime(iso)} UTC`}>
      {relativeTime(iso, now)}
    </time>
  )
}
