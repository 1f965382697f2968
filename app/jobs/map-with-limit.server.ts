/**
 * Runs `run` over `items` with at most `limit` in flight, results in input order: how the workers
 * settle a fetched batch of jobs one by one, a few at a time.
 */
export async function mapWithLimit<T, R>(items: T[], limit: number, run: (item: T) => Promise<R>) {
  const results: R[] = new Array(items.length)
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await run(items[index])
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
  return results
}
