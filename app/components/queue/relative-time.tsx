import { useFormatters } from '#app/utils/use-formatters.ts'

/** "3 min ago", with the full date and time in the viewer's zone (named) as its tooltip. */
export function RelativeTime({ iso, now }: { iso: string; now: string }) {
  const format = useFormatters()
  return (
    <time dateTime={iso} title={format.dateTimeWithZone(iso)}>
      {format.relative(iso, now)}
    </time>
  )
}
