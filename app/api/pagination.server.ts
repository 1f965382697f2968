import { env } from '#app/env.server.ts'
import type { Page } from '#app/domain/api-resources.server.ts'
import { problem } from './problem.server.ts'

/** The page, or a 400 for a cursor the list did not give out (forged, truncated, another list's). */
export function pageOrThrow<P extends { kind: 'page' }>(page: P | { kind: 'invalid-cursor' }) {
  if (page.kind === 'invalid-cursor') throw invalidCursor()
  return page as P
}

/** The 400 for a cursor the list did not give out. */
export function invalidCursor() {
  return problem('invalid-cursor', 'The cursor is not one this list gave out. Start again without it.')
}

/** RFC 8288 `Link: <…>; rel="next"` with the same query and the next cursor, when there is more. */
export function linkHeaders(url: URL, nextCursor: string | null): Record<string, string> {
  if (!nextCursor) return {}
  const next = new URL(url.pathname + url.search, env().appUrl)
  next.searchParams.set('cursor', nextCursor)
  return { link: `<${next.toString()}>; rel="next"` }
}

/** A list operation's answer: the page's rows through `toJson`, its next cursor and the Link to it. */
export function pageResponse<T, J>(url: URL, page: Page<T>, toJson: (row: T) => J) {
  const { rows, nextCursor } = pageOrThrow(page)
  return {
    body: { data: rows.map((row) => toJson(row)), next_cursor: nextCursor },
    headers: linkHeaders(url, nextCursor),
  }
}

/**
 * The same for a page whose rows come as JSON text (db/queries/api-tickets.ts), with the mark a
 * poller passes as `changed_after` next.
 */
export function jsonPageResponse(
  url: URL,
  page:
    | { kind: 'page'; json: string; nextCursor: string | null; nextChangedAfter: string }
    | { kind: 'invalid-cursor' },
) {
  const { json, nextCursor, nextChangedAfter } = pageOrThrow(page)
  return {
    json: `{"data":${json},"next_cursor":${JSON.stringify(nextCursor)},"next_changed_after":${JSON.stringify(nextChangedAfter)}}`,
    headers: linkHeaders(url, nextCursor),
  }
}
