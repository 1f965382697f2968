/**
 * Counts an occurrence and reports at most once per `everyMs`: the first at once, each later report
 * with how many happened since the one before. For warnings anyone outside can cause at will (a
 * forged webhook post, a flood of connections): one line a minute says it is happening and how
 * much, where a line each made the operator's alerts as loud as the sender liked. Each request
 * still has its own access log line.
 */
export function reportedAtMostEvery<Fields>(
  everyMs: number,
  report: (countSinceLastReport: number, latest: Fields) => void,
) {
  let count = 0
  let reportedAt = -Infinity
  return (latest: Fields) => {
    count += 1
    const now = Date.now()
    if (now - reportedAt < everyMs) return
    report(count, latest)
    count = 0
    reportedAt = now
  }
}
