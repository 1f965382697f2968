type Day = { day: string; calls: number; tokens: number; failures: number }

const WIDTH = 600
const HEIGHT = 120
const GAP = 2

/**
 * Calls per day as an inline SVG bar chart (failures in red on top of successful calls). The
 * table under it carries the same numbers for screen readers and exact values.
 */
export function UsageChart({ days }: { days: Day[] }) {
  const max = Math.max(1, ...days.map((d) => d.calls))
  const barWidth = WIDTH / days.length - GAP
  const total = days.reduce((sum, d) => sum + d.calls, 0)
  return (
    <figure className="space-y-1">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT + 16}`}
        className="h-36 w-full max-w-2xl text-indigo-500"
        role="img"
        aria-label={`AI calls per day over the last ${days.length} days: ${total} in total`}
      >
        <line x1={0} y1={HEIGHT} x2={WIDTH} y2={HEIGHT} className="stroke-slate-300 dark:stroke-slate-700" />
        {days.map((d, i) => {
          const x = i * (barWidth + GAP)
          const okHeight = ((d.calls - d.failures) / max) * HEIGHT
          const failHeight = (d.failures / max) * HEIGHT
          return (
            <g key={d.day}>
              <title>{`${d.day}: ${d.calls} calls, ${d.failures} failed, ${d.tokens} tokens`}</title>
              <rect x={x} y={HEIGHT - okHeight} width={barWidth} height={okHeight} fill="currentColor" />
              <rect
                x={x}
                y={HEIGHT - okHeight - failHeight}
                width={barWidth}
                height={failHeight}
                fill="#dc2626"
              />
            </g>
          )
        })}
        <text x={0} y={HEIGHT + 13} className="fill-slate-500 text-[10px]">
          {days[0]?.day}
        </text>
        <text x={WIDTH} y={HEIGHT + 13} textAnchor="end" className="fill-slate-500 text-[10px]">
          {days.at(-1)?.day}
        </text>
      </svg>
      <figcaption className="text-xs text-slate-500 dark:text-slate-400">
        Calls per day (UTC); failures in red. Busiest day: {max === 1 && total === 0 ? 0 : max} calls.
      </figcaption>
    </figure>
  )
}
