import { describe, expect, it } from 'vitest'
import { createHashQueue, HashQueueFull } from '#app/domain/hash-queue.server.ts'

/** Lets every promise callback already due run. */
const settled = () => new Promise((resolve) => setImmediate(resolve))

/** Work the test finishes by hand, so which one starts when is exact, not a race of timings. */
function harness(concurrency: number, maxWaiting: number) {
  const queue = createHashQueue({ concurrency, maxWaiting })
  const started: string[] = []
  const finishers = new Map<string, () => void>()
  const outcome = new Map<string, 'done' | 'refused'>()
  const submit = (label: string, priority: number, sheddable = true) =>
    queue
      .run({ priority, sheddable }, () => {
        started.push(label)
        return new Promise<void>((resolve) => finishers.set(label, resolve))
      })
      .then(
        () => outcome.set(label, 'done'),
        (error: unknown) => {
          if (!(error instanceof HashQueueFull)) throw error
          outcome.set(label, 'refused')
        },
      )
  /** Finishes a running job and lets the queue hand its slot on. */
  const finish = async (label: string) => {
    finishers.get(label)!()
    await settled()
  }
  return { queue, started, outcome, submit, finish }
}

describe('the password hash queue', () => {
  it('runs `concurrency` at once and starts a lower priority first, among equals the newest', async () => {
    const { started, submit, finish } = harness(2, 100)
    for (const label of ['a', 'b']) void submit(label, 0)
    // The first round of a flood from clean addresses, then a real user as clean as they are.
    for (const label of ['flood 1', 'flood 2', 'flood 3']) void submit(label, 0)
    void submit('failed before', 4)
    void submit('real user', 0)
    expect(started).toEqual(['a', 'b'])
    await finish('a')
    expect(started.at(-1)).toBe('real user') // waited for the running work only
    await finish('b')
    await finish('real user')
    expect(started).toEqual(['a', 'b', 'real user', 'flood 3', 'flood 2'])
    await finish('flood 3')
    await finish('flood 2')
    await finish('flood 1')
    expect(started.at(-1)).toBe('failed before')
  })

  it('lets at most maxWaiting sheddable ones wait, refusing the one that would start last', async () => {
    const { queue, started, outcome, submit, finish } = harness(1, 2)
    void submit('running', 0)
    void submit('old bad', 3)
    void submit('new bad', 3)
    expect(queue.stats()).toEqual({ refused: 0, waiting: 2 })
    // Full: a newcomer no worse takes the place of the one that would start last (oldest of the worst).
    void submit('clean', 0)
    await settled()
    expect(outcome.get('old bad')).toBe('refused')
    // A worse newcomer is refused on arrival, before it runs.
    void submit('worse', 5)
    await settled()
    expect(outcome.get('worse')).toBe('refused')
    // Work that is not sheddable (signup, password change) always waits and does not count.
    void submit('signup', 1, false)
    expect(queue.stats()).toEqual({ refused: 2, waiting: 3 })
    for (const label of ['running', 'clean', 'signup', 'new bad']) await finish(label)
    expect(started).toEqual(['running', 'clean', 'signup', 'new bad'])
    expect(outcome.get('new bad')).toBe('done')
  })
})
