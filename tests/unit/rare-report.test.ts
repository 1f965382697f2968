import { afterEach, expect, it, vi } from 'vitest'
import { reportedAtMostEvery } from '#app/http/rare-report.server.ts'

afterEach(() => void vi.useRealTimers())

it('reports the first at once, then at most once a window with the count since the last report', () => {
  vi.useFakeTimers({ now: 1_000_000 })
  const reports: Array<[number, string]> = []
  const note = reportedAtMostEvery(60_000, (count, latest: string) => reports.push([count, latest]))
  note('a')
  for (let i = 0; i < 99; i++) note(`b${i}`)
  expect(reports).toEqual([[1, 'a']])
  vi.setSystemTime(1_000_000 + 60_000)
  note('c')
  expect(reports).toEqual([
    [1, 'a'],
    [100, 'c'],
  ])
  vi.setSystemTime(1_000_000 + 59_999 + 60_000)
  note('d')
  expect(reports).toHaveLength(2)
})
