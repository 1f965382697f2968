import { createReadableStreamFromReadable, type AppLoadContext, type ServerBuild } from '@remix-run/node'
import type { Request as ExpressRequest, RequestHandler, Response as ExpressResponse } from 'express'
import { isApiPath, refuse } from '#app/http/refusal.server.ts'
import { methodNotAllowed } from './problem.server.ts'

/**
 * Serves the /api resource routes (the /api/v1 API, its OpenAPI document, the reference at
 * /api/docs) without Remix's request handler: it finds the route module Remix would
 * (app/routes/api.*), calls that module's own loader (GET, HEAD) or action with the
 * same Request (built as @remix-run/express's createRemixRequest builds it), params and load context,
 * and writes its Response. The API stays defined by those modules and their runner
 * (app/api/operation.server.ts: auth, rate limit, scopes, problem+json, Idempotency-Key); the
 * Express middleware before it (request id and log line, security headers, Host/Origin checks,
 * body limit) is unchanged. What it skips, per request: Remix's route matching over the whole
 * tree, its handler and the streamed response (the body is one write with a Content-Length).
 *
 * A route without a function for the method (a loader-only document, an action-only route) is a
 * problem+json 405 with its Allow: Remix answered those with a logged `Unexpected Server Error`.
 * Anything it does not recognise goes on to Remix unchanged: paths no API route matches (the
 * `api.$` 404), `?_data` requests, methods Remix would refuse, routes with a UI. A `.data` path
 * under /api is answered 404 here: Remix's single fetch would run the route under it (a POST to
 * `/api/v1/tickets.data` created a ticket) and answer in its own encoding.
 * A thrown Response is sent as Remix sends it (with `X-Remix-Catch: yes`); any other thrown error
 * goes to Express's error handler, which logs it and answers problem+json 500 under /api.
 */

type Route = ServerBuild['routes'][string]
type RouteFunction = (args: {
  request: Request
  params: Record<string, string>
  context: AppLoadContext
}) => unknown
type Candidate = { pattern: RegExp; params: string[]; score: number; module: Route['module'] }

const PREFIX = /^\/api(?:\/|$)/i
const LOADER_METHODS = new Set(['GET', 'HEAD'])
const ACTION_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** The full path of a route (its ancestors' paths joined), as Remix's route tree nests them. */
function fullPath(routes: ServerBuild['routes'], route: Route): string {
  const parent = route.parentId ? routes[route.parentId] : undefined
  const own = route.path ?? ''
  const above = parent ? fullPath(routes, parent) : ''
  return [above, own].filter(Boolean).join('/')
}

/**
 * As @remix-run/router's compilePath with end=true: case-insensitive unless the route says
 * otherwise, `:param` is one segment, trailing slashes are ignored. Splat routes are left to Remix.
 */
function compile(path: string, caseSensitive: boolean) {
  const params: string[] = []
  const source =
    '^' +
    `/${path}`
      .replace(/\/+$/, '')
      .replace(/[\\.*+^${}|()[\]]/g, '\\$&')
      .replace(/\/:([\w-]+)/g, (_, name: string) => {
        params.push(name)
        return '/([^\\/]+)'
      }) +
    '\\/*$'
  return { pattern: new RegExp(source, caseSensitive ? undefined : 'i'), params }
}

/** Remix's ranking, as far as these routes need it: static segments outrank dynamic ones. */
function score(path: string, index: boolean) {
  return path
    .split('/')
    .filter(Boolean)
    .reduce((sum, segment) => sum + (segment.startsWith(':') ? 3 : 10), index ? 2 : 0)
}

function candidatesOf(build: ServerBuild): Candidate[] {
  const out: Candidate[] = []
  for (const route of Object.values(build.routes)) {
    const path = fullPath(build.routes, route)
    if (!PREFIX.test(`/${path}`) || path.includes('*') || path.includes('?')) continue
    // A route with a UI is a page, not a resource route: Remix renders it.
    if (route.module.default || route.module.ErrorBoundary) continue
    out.push({
      ...compile(path, route.caseSensitive === true),
      score: score(path, route.index === true),
      module: route.module,
    })
  }
  return out.sort((a, b) => b.score - a.score)
}

/** As @remix-run/router's decodePath: each segment decoded, an encoded slash kept encoded. */
function decodePath(pathname: string) {
  try {
    return pathname
      .split('/')
      .map((v) => decodeURIComponent(v).replace(/\//g, '%2F'))
      .join('/')
  } catch {
    return pathname
  }
}

function match(candidates: Candidate[], pathname: string) {
  const path = decodePath(pathname)
  const found = candidates.filter((c) => c.pattern.test(path))
  // Two equally ranked matches: let Remix decide.
  if (found.length === 0 || (found.length > 1 && found[0]!.score === found[1]!.score)) return undefined
  const { pattern, params: names, module } = found[0]!
  const groups = pattern.exec(path)!.slice(1)
  const params: Record<string, string> = {}
  names.forEach((name, i) => (params[name] = (groups[i] ?? '').replace(/%2F/g, '/')))
  return { module, params }
}

/** The URL @remix-run/express 2.17's createRemixRequest gives the Request (see below). */
export function remixRequestUrl(req: ExpressRequest) {
  const [, forwardedPort] = req.get('X-Forwarded-Host')?.split(':') ?? []
  const [, hostPort] = req.get('host')?.split(':') ?? []
  const forwarded = Number.parseInt(forwardedPort ?? '', 10)
  const host = Number.parseInt(hostPort ?? '', 10)
  const port = Number.isSafeInteger(forwarded) ? forwarded : Number.isSafeInteger(host) ? host : ''
  return new URL(`${req.protocol}://${req.hostname}${port ? `:${port}` : ''}${req.originalUrl}`)
}

/**
 * @remix-run/express 2.17's createRemixHeaders: every request header, repeated ones appended;
 * except that a header sent empty is kept (as ''), where theirs dropped it: an empty
 * `Idempotency-Key` must be refused, not read as no key (two POSTs made two notes).
 */
export function remixRequestHeaders(req: ExpressRequest) {
  const headers = new Headers()
  for (const [name, values] of Object.entries(req.headers)) {
    if (values === undefined) continue
    if (Array.isArray(values)) for (const value of values) headers.append(name, value)
    else headers.set(name, values)
  }
  return headers
}

/**
 * @remix-run/express 2.17's createRemixRequest (exported at runtime but not in its types): the URL
 * from the Host (port from X-Forwarded-Host or Host, hostname as `trust proxy` allows), the
 * headers, the body as a stream, and a signal that aborts when the client goes away first.
 */
function createRemixRequest(req: ExpressRequest, res: ExpressResponse) {
  const url = remixRequestUrl(req)
  let controller: AbortController | null = new AbortController()
  const init: RequestInit & { duplex?: 'half' } = {
    method: req.method,
    headers: remixRequestHeaders(req),
    signal: controller.signal,
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    init.body = createReadableStreamFromReadable(req)
    init.duplex = 'half'
  }
  res.on('finish', () => (controller = null))
  res.on('close', () => controller?.abort())
  return new Request(url.href, init)
}

/** `?_data=…`: Remix's own data requests. */
function hasDataParam(url: string) {
  const at = url.indexOf('?')
  return at !== -1 && new URLSearchParams(url.slice(at + 1)).has('_data')
}

/** A thrown Response, marked as Remix marks it (a copy when its headers are immutable). */
function caught(thrown: Response) {
  try {
    thrown.headers.set('X-Remix-Catch', 'yes')
    return thrown
  } catch {
    const copy = new Response(thrown.body, thrown)
    copy.headers.set('X-Remix-Catch', 'yes')
    return copy
  }
}

async function send(res: ExpressResponse, response: Response, head: boolean) {
  // Answered already: a body that stopped arriving got its 408 while the handler waited for it
  // (app/http/body-deadline.server.ts), and the handler's own answer to the cut body is moot.
  if (res.headersSent) return
  res.statusCode = response.status
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') res.setHeader(name, value)
  }
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) res.setHeader('set-cookie', cookies)
  if (head || !response.body) {
    res.end()
    return
  }
  res.end(Buffer.from(await response.arrayBuffer()))
}

export function apiDispatch(options: {
  build: () => ServerBuild | Promise<ServerBuild>
  getLoadContext: (req: ExpressRequest, res: ExpressResponse) => AppLoadContext
}): RequestHandler {
  const candidates = new WeakMap<ServerBuild, Candidate[]>()
  return (req, res, next) => {
    if (req.path.endsWith('.data') && isApiPath(req.path))
      return refuse(res, req.path, 'not-found', 'Not found')
    if (!PREFIX.test(req.path) || hasDataParam(req.originalUrl)) return next()
    const loader = LOADER_METHODS.has(req.method)
    if (!loader && !ACTION_METHODS.has(req.method)) return next()
    void (async () => {
      const build = await options.build()
      let list = candidates.get(build)
      if (!list) candidates.set(build, (list = candidatesOf(build)))
      const found = match(list, req.path)
      if (!found) return next()
      const handler = (loader ? found.module.loader : found.module.action) as RouteFunction | undefined
      if (!handler) {
        // Remix would throw a 405 of its own (JSON, no Allow, logged as an error).
        const methods = found.module.loader ? ['GET'] : [...ACTION_METHODS]
        return void (await send(res, methodNotAllowed(methods), req.method === 'HEAD'))
      }
      const request = createRemixRequest(req, res)
      let response: unknown
      try {
        response = await handler({ request, params: found.params, context: options.getLoadContext(req, res) })
      } catch (thrown) {
        if (!(thrown instanceof Response)) throw thrown
        response = caught(thrown)
      }
      // The API's modules always answer a Response; anything else is Remix's to handle.
      if (!(response instanceof Response))
        throw new Error('An /api/v1 route answered something other than a Response')
      await send(res, response, req.method === 'HEAD')
    })().catch(next)
  }
}
