import { createRequire } from 'node:module'
import type { AppLoadContext, ServerBuild } from '@remix-run/node'
import type { Request as ExpressRequest, RequestHandler, Response as ExpressResponse } from 'express'
import { remixRequestHeaders, remixRequestUrl } from '#app/api/dispatch.server.ts'
import { requestSignal, sendResponse } from './remix-adapter.server.ts'

/**
 * Answers GET `….data` requests (Remix single fetch: every client navigation and revalidation)
 * with Remix's own code for them, minus the layers around it. The route tree, the loaders, which
 * of them run (`_routes`), redirects, thrown responses, errors and their sanitizing, headers and
 * status all come from Remix's `singleFetchLoaders` and its turbo-stream encoder
 * (`encodeViaTurboStream`), called with a static handler made as Remix's request handler makes
 * its own, then the entry's `handleDataRequest`, exactly as `handleSingleFetchRequest` and
 * `requestHandler` of @remix-run/server-runtime 2.17.5 do. What this skips, per request:
 * - two of the three route matchings (the request handler matches the `.data` path and the
 *   handler path again before the static handler's query matches it for the loaders);
 * - the express adapter's undici Request (the loaders still get the one Remix builds);
 * - the streamed response: the body (one chunk unless a loader returns promises, when it
 *   streams as before) is sent in one write with a Content-Length (see remix-adapter.server.ts,
 *   which also says why the request's signal is aborted once the response is sent).
 * Anything else (other methods, `?_data`, development's build function) goes to Remix.
 * tests/integration/single-fetch-loaders.test.ts compares the answers with Remix's handler.
 */

type ServerMode = 'development' | 'production' | 'test'
type SingleFetchModule = {
  singleFetchLoaders: (
    build: ServerBuild,
    serverMode: ServerMode,
    staticHandler: unknown,
    request: Request,
    handlerUrl: URL,
    loadContext: AppLoadContext,
    handleError: (error: unknown) => void,
  ) => Promise<{ result: unknown; headers: Headers; status: number }>
  encodeViaTurboStream: (
    data: unknown,
    requestSignal: AbortSignal,
    streamTimeout: number | undefined,
    serverMode: ServerMode,
  ) => ReadableStream<Uint8Array>
  getSingleFetchRedirect: (status: number, headers: Headers, basename: string | undefined) => unknown
  SingleFetchRedirectSymbol: symbol
  SINGLE_FETCH_REDIRECT_STATUS: number
}
type Runtime = {
  singleFetch: SingleFetchModule
  createStaticHandlerDataRoutes: (manifest: ServerBuild['routes'], future: ServerBuild['future']) => unknown
  createStaticHandler: (routes: unknown, options: unknown) => unknown
  isRedirectResponse: (response: Response) => boolean
  matchRoutes: MatchRoutes
}
export type MatchRoutes = (
  routes: RouteTree[],
  location: string,
) => { route: RouteTree; params: Record<string, string | undefined> }[] | null
export type RouteTree = {
  id: string
  path?: string
  index?: boolean
  caseSensitive?: boolean
  children?: RouteTree[]
}
type EntryModule = {
  handleError?: (error: unknown, args: { context: AppLoadContext; params: object; request: Request }) => void
  handleDataRequest?: (
    response: Response,
    args: { context: AppLoadContext; params: object; request: Request },
  ) => Response | Promise<Response>
  streamTimeout?: number
}

// As in @remix-run/server-runtime's server.js.
const NO_BODY_STATUS_CODES = new Set([100, 101, 204, 205, 304])

let runtime: Runtime | undefined
/** The very copy of @remix-run/server-runtime (and its router) that @remix-run/node's handler runs. */
export function remixRuntime(): Runtime {
  if (runtime) return runtime
  const fromNode = createRequire(createRequire(import.meta.url).resolve('@remix-run/node'))
  const serverRuntime = fromNode.resolve('@remix-run/server-runtime')
  const fromRuntime = createRequire(serverRuntime)
  const dist = (file: string) => fromRuntime(`./${file}`) as Record<string, unknown>
  const router = fromRuntime('@remix-run/router') as Pick<Runtime, 'createStaticHandler' | 'matchRoutes'>
  runtime = {
    singleFetch: dist('single-fetch.js') as unknown as SingleFetchModule,
    createStaticHandlerDataRoutes: dist('routes.js')
      .createStaticHandlerDataRoutes as Runtime['createStaticHandlerDataRoutes'],
    createStaticHandler: router.createStaticHandler,
    matchRoutes: router.matchRoutes,
    isRedirectResponse: dist('responses.js').isRedirectResponse as Runtime['isRedirectResponse'],
  }
  return runtime
}

type Derived = { staticHandler: unknown; handleError: NonNullable<EntryModule['handleError']> }

/** As `derive` in server-runtime's server.js, for production mode. */
function derive(build: ServerBuild): Derived {
  const { createStaticHandler, createStaticHandlerDataRoutes } = remixRuntime()
  const staticHandler = createStaticHandler(createStaticHandlerDataRoutes(build.routes, build.future), {
    basename: build.basename,
    future: {
      v7_relativeSplatPath: build.future?.v3_relativeSplatPath === true,
      v7_throwAbortReason: build.future?.v3_throwAbortReason === true,
    },
  })
  const entry = build.entry.module as EntryModule
  const handleError: Derived['handleError'] =
    entry.handleError ??
    ((error, { request }) => {
      if (!request.signal.aborted) console.error(error)
    })
  return { staticHandler, handleError }
}

/** The Response Remix's request handler gives a GET `.data` request (production mode). */
async function singleFetchResponse(
  build: ServerBuild,
  derived: Derived,
  request: Request,
  loadContext: AppLoadContext,
) {
  const { singleFetch, isRedirectResponse } = remixRuntime()
  const entry = build.entry.module as EntryModule
  const url = new URL(request.url)
  const handlerUrl = new URL(request.url)
  handlerUrl.pathname = url.pathname.replace(/\.data$/, '').replace(/^\/_root$/, '/')
  // Remix passes the matched params to these two; ours (entry.server.tsx) do not read them.
  const params = {}
  const handleError = (error: unknown) =>
    derived.handleError(error, { context: loadContext, params, request })
  const { result, headers, status } = await singleFetch.singleFetchLoaders(
    build,
    'production',
    derived.staticHandler,
    request,
    handlerUrl,
    loadContext,
    handleError,
  )
  const resultHeaders = new Headers(headers)
  resultHeaders.set('X-Remix-Response', 'yes')
  let response: Response
  if (NO_BODY_STATUS_CODES.has(status)) {
    response = new Response(null, { status, headers: resultHeaders })
  } else {
    resultHeaders.set('Content-Type', 'text/x-script')
    response = new Response(
      singleFetch.encodeViaTurboStream(result, request.signal, entry.streamTimeout, 'production'),
      { status: status || 200, headers: resultHeaders },
    )
  }
  if (entry.handleDataRequest) {
    response = await entry.handleDataRequest(response, { context: loadContext, params, request })
    if (isRedirectResponse(response)) {
      const redirect = singleFetch.getSingleFetchRedirect(response.status, response.headers, build.basename)
      const redirectHeaders = new Headers(response.headers)
      redirectHeaders.set('Content-Type', 'text/x-script')
      return new Response(
        singleFetch.encodeViaTurboStream(
          { [singleFetch.SingleFetchRedirectSymbol]: redirect },
          request.signal,
          entry.streamTimeout,
          'production',
        ),
        { status: singleFetch.SINGLE_FETCH_REDIRECT_STATUS, headers: redirectHeaders },
      )
    }
  }
  return response
}

export function singleFetchLoaders(options: {
  build: ServerBuild
  getLoadContext: (req: ExpressRequest, res: ExpressResponse) => AppLoadContext
}): RequestHandler {
  let derived: Derived | undefined
  return (req, res, next) => {
    if (req.method !== 'GET' || !req.path.endsWith('.data')) return next()
    const url = remixRequestUrl(req)
    // Remix answers `?_data` the old way, even on a `.data` path.
    if (url.searchParams.has('_data')) return next()
    derived ??= derive(options.build)
    // What singleFetchLoaders, handleError and handleDataRequest read of the request; the
    // loaders get the Request singleFetchLoaders builds from it, with the same signal: aborted
    // if the client goes away first, and once the response is sent, which also clears the
    // encoder's timeout (app/http/remix-adapter.server.ts).
    const signal = requestSignal(res)
    const request = {
      method: 'GET',
      url: url.href,
      headers: remixRequestHeaders(req),
      signal,
    } as unknown as Request
    void (async () => {
      const response = await singleFetchResponse(
        options.build,
        derived!,
        request,
        options.getLoadContext(req, res),
      )
      await sendResponse(res, response)
    })().catch(next)
  }
}
