import type { ServerBuild } from '@remix-run/node'
import type { RequestHandler } from 'express'
import { isApiPath, refuse } from './refusal.server.ts'
import { allowedMethods } from './resource-methods.server.ts'

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
  // Nearly every target is already in the form URL parsing gives: answered without parsing it
  // (it is asked three times per request; tests/unit/security.test.ts checks both ways agree).
  if (PLAIN_TARGET.test(target) && !DOT_SEGMENT.test(target)) {
    const at = target.indexOf('?')
    if (at === -1) return { pathname: target, search: '' }
    return { pathname: target.slice(0, at), search: at === target.length - 1 ? '' : target.slice(at) }
  }
  return parsedTarget(target)
}

/**
 * A path of letters, digits, `-`, `_`, `~`, `.` and `/` (nothing to decode or re-encode), then
 * optionally a query of characters URL parsing keeps as they are.
 */
const PLAIN_TARGET = /^\/[A-Za-z0-9\-_~./]*(?:\?[A-Za-z0-9\-_~./?!$&()*+,;=:@%]*)?$/
/** A `.` or `..` segment in the path, which URL parsing resolves. */
const DOT_SEGMENT = /\/\.\.?(?:\/|\?|$)/

/** normalisedTarget by WHATWG URL parsing, for any target. */
export function parsedTarget(target: string): { pathname: string; search: string } | undefined {
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
  // Without a `%` nothing is decoded (and a raw NUL cannot pass the check below either).
  if (!pathname.includes('%')) return pathname.includes('\u0000') ? undefined : pathname.split('/')
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

/** The methods some resource of the app answers (Remix actions, the REST API, /mcp). */
const ANSWERED = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Answers, before anything else reads the request: OPTIONS with 204 and the resource's `Allow`
 * (no CORS headers: cross-origin use is not offered, docs/security.md), and a method the resource
 * does not take with 405 and its `Allow` (TRACE and CONNECT cannot even become a fetch Request, so
 * they were 500s in Remix's adapter; PROPFIND… were 405s logged as errors; a page's action also
 * ran for PUT, PATCH and DELETE). GET, HEAD and POST go on everywhere (the routes answer their own
 * 405s), and so do PUT, PATCH and DELETE under /api (its dispatcher does). Also refuses Remix's
 * pre-single-fetch `_data` parameter, which nothing of ours sends and which took a legacy code
 * path that answered 500 for some routes.
 */
export function requestMethod(build: () => ServerBuild | Promise<ServerBuild>): RequestHandler {
  return (req, res, next) => {
    const { method } = req
    const routesAnswer =
      method === 'GET' ||
      method === 'HEAD' ||
      method === 'POST' ||
      (ANSWERED.has(method) && isApiPath(req.path))
    if (routesAnswer) {
      if (hasLegacyDataParameter(req.url)) {
        refuse(res, req.url, 'bad-request', 'Bad request: the _data parameter is not supported')
        return
      }
      return next()
    }
    void (async () => {
      const allowed = allowedMethods(await build(), req.path)
      if (!allowed) return refuse(res, req.path, 'not-found', 'Not found')
      if (allowed.includes(method)) return next()
      res.set('allow', allowed.join(', '))
      if (method === 'OPTIONS') return void res.status(204).end()
      refuse(res, req.path, 'method-not-allowed', 'Method not allowed')
    })().catch(next)
  }
}

/** Does the query string name `_data`, as Remix decodes it (`%5Fdata`, `_d%61ta` too)? */
export function hasLegacyDataParameter(url: string) {
  const at = url.indexOf('?')
  if (at === -1) return false
  const search = url.slice(at)
  return /_|%5f/i.test(search) && new URLSearchParams(search).has('_data')
}
