/** How long an instance remembers a room's last event; older pages simply reload their data. */
const RETAIN_MS = 10 * 60_000
/** Rooms remembered at most (the least recently changed are forgotten first). */
const MAX_ROOMS = 20_000

/**
 * When this instance last saw an event for each room (its own publishes and, through the adapter,
 * every other instance's). `knownSince`: every event after it is in the log (the instance's start,
 * or the newest time forgotten to bound the log). Read by the connection's `ready` (hub.server.ts).
 */
export function createChangeLog(now: () => number = Date.now) {
  // Oldest first: a room noted again moves to the end.
  const last = new Map<string, number>()
  let knownSince = now()
  return {
    note(rooms: Iterable<string>) {
      const at = now()
      for (const room of rooms) {
        last.delete(room)
        last.set(room, at)
      }
      for (const [room, time] of last) {
        if (last.size <= MAX_ROOMS && time >= at - RETAIN_MS) break
        last.delete(room)
        knownSince = Math.max(knownSince, time)
      }
    },
    /** The newest event among `rooms`, null when none since `knownSince`. */
    lastChange(rooms: Iterable<string>): number | null {
      let newest: number | null = null
      for (const room of rooms) {
        const time = last.get(room)
        if (time !== undefined && (newest === null || time > newest)) newest = time
      }
      return newest
    },
    knownSince: () => knownSince,
  }
}

export type ChangeLog = ReturnType<typeof createChangeLog>
