/**
 * Waiting for a condition, the one way tests wait for something they can't subscribe to: poll
 * until it holds, fail after a deadline. Never a fixed sleep (a sleep is either too short on a
 * busy machine or wastes time on an idle one).
 */

const INTERVAL_MS = 20

/**
 * Reads `read()` every 20 ms until `done(value)`, and returns that value. Throws after
 * `timeoutMs`, naming the last value read.
 */
export async function until<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) {
      throw new Error(`condition not met in ${timeoutMs} ms; last value: ${describe(value)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS))
  }
}

/**
 * Polls `check` until it returns true. A check that throws counts as "not yet" (a server that
 * is not listening yet, a database that is down); the last error is named if time runs out.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  let lastError: unknown
  await until(
    async () => {
      try {
        return await check()
      } catch (error) {
        lastError = error
        return false
      }
    },
    (ok) => ok,
    timeoutMs,
  ).catch((error: Error) => {
    throw lastError ? new Error(`${error.message}; last error: ${describe(lastError)}`) : error
  })
}

function describe(value: unknown) {
  if (value instanceof Error) return value.message
  try {
    return JSON.stringify(value)?.slice(0, 300) ?? String(value)
  } catch {
    return String(value)
  }
}
