/** Navigation counts are capped at 1000 by the query: show that as "999+". */
export function formatCount(n: number) {
  return n >= 1000 ? '999+' : String(n)
}
