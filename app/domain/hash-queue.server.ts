/**
 * A queue for CPU-heavy work (password hashes): `concurrency` run at once, the rest wait in order
 * of priority (lower first) and, among equals, newest first.
 *
 * Newest first, because a flood arrives before the sign-in it delays: 80 wrong passwords from 80
 * new addresses have the same priority as a real user's first attempt, and in arrival order the
 * user waited for all of them. Newest first, the user waits for the running work only; the
 * flood's next attempts come from addresses with failures, a worse priority.
 *
 * Sheddable work is bounded: at most `maxWaiting` of it waits. When full, the entry that would
 * start last (worst priority, among equals the oldest) is refused with HashQueueFull, before it runs,
 * for a newcomer that is no worse, or else the newcomer is refused. So the best newcomer is never
 * refused on arrival. Waiting costs no CPU, and a flood whose every loop waits for its answer is
 * held back by it; refusing early would only let such loops spin, spending the CPU on refusals.
 */
export class HashQueueFull extends Error {
  constructor() {
    super('Too many password hashes waiting')
  }
}

/** `priority`: lower starts first; `sheddable`: may be refused (HashQueueFull) when too many wait. */
export type HashPlace = { priority: number; sheddable: boolean }

type Waiter = HashPlace & { order: number; start: () => void; refuse: () => void }

export function createHashQueue({ concurrency, maxWaiting }: { concurrency: number; maxWaiting: number }) {
  let running = 0
  let arrivals = 0
  let refused = 0
  /** Sorted in start order: priority ascending, then newest first. */
  const waiting: Waiter[] = []

  const startsBefore = (a: Waiter, b: Waiter) =>
    a.priority < b.priority || (a.priority === b.priority && a.order > b.order)

  function waitForSlot(place: HashPlace) {
    return new Promise<void>((start, reject) => {
      const entry: Waiter = { ...place, order: arrivals++, start, refuse: () => reject(new HashQueueFull()) }
      if (place.sheddable) {
        const sheddable = waiting.filter((w) => w.sheddable)
        if (sheddable.length >= maxWaiting) {
          const last = sheddable[sheddable.length - 1]!
          refused++
          if (last.priority < place.priority) return entry.refuse()
          waiting.splice(waiting.indexOf(last), 1)
          last.refuse()
        }
      }
      const at = waiting.findIndex((w) => startsBefore(entry, w))
      waiting.splice(at === -1 ? waiting.length : at, 0, entry)
    })
  }

  return {
    /** Runs `work` in a slot; throws HashQueueFull if a sheddable place was refused before it ran. */
    async run<T>(place: HashPlace, work: () => Promise<T>): Promise<T> {
      if (running < concurrency) running++
      else await waitForSlot(place)
      try {
        return await work()
      } finally {
        // Hand the slot straight to the next waiting one, or free it.
        const next = waiting.shift()
        if (next) next.start()
        else running--
      }
    },
    /** Refused so far, and waiting now. */
    stats: () => ({ refused, waiting: waiting.length }),
  }
}
