import type { RequestHandler } from 'express'
import { refuse } from './refusal.server.ts'

/**
 * Remix builds `request.url` as scheme://host + the raw target and lets WHATWG URL parsing
 * resolve it; we parse the same way, so every check here sees the path Remix will route.
 */
const BASE = 'http://request.invalid'

/**
 * The request target as routing sees it: dot segments (also `%2e`) and backslashes resolved.
 * Undefined when it is not a path (absolute-form, `*`) or its percent-encoding is malformed
 * (`/%`, `/%zz`, a cut-off or invalid UTF-8 sequence), which would otherwise be a 500 deeper in.
 */
export function normalisedTarget(target: string): { pathname: string; search: string } | undefined {
  if (!target.startsWith('/')) return undefined
  let url: URL
  try {
    url = new URL(BASE + target)
  } catch {
    return undefined
  }
  if (url.origin !== BASE || decodedSegments(url.pathname) === undefined) return undefined
  return { pathname: url.pathname, search: url.search }
}

/** Each path segment percent-decoded, or undefined if one of them cannot be. */
export function decodedSegments(pathname: string): string[] | undefined {
  try {
    const segments = pathname.split('/').map((segment) => decodeURIComponent(segment))
    // A NUL (`%00`) would reach SQL through a route param, and PostgreSQL refuses it in text.
    return segments.some((segment) => segment.includes('\u0000')) ? undefined : segments
  } catch {
    return undefined
  }
}

/**
 * Refuses malformed request targets with 400 and hands the rest of the stack (Express routing,
 * the origin check's exempt paths, body limits, static files) the normalised path, so
 * `/api/../w/acme` is `/w/acme` for us exactly as it is for Remix.
 */
export function requestTarget(): RequestHandler {
  return (req, res, next) => {
    const target = normalisedTarget(req.url)
    if (!target) {
      // The raw target picks the shape: /api clients get problem+json.
      refuse(res, req.url, 'bad-request', 'Bad request: malformed URL')
      return
    }
    req.url = target.pathname + target.search
    next()
  }
}
