import { Writable } from 'node:stream'
import { type EntryContext, type HandleDataRequestFunction, type HandleErrorFunction } from '@remix-run/node'
import type { AppLoadContext } from '@remix-run/node'
import { isRouteErrorResponse, RemixServer } from '@remix-run/react'
import { renderToPipeableStream } from 'react-dom/server'
import { RETRY_AFTER_SECONDS } from '#app/http/database-outage.server.ts'
import { renderPageBytes } from '#app/http/page-bytes.server.ts'
import { renderValues } from '#app/http/request-scope.server.ts'
import { wholeBodyResponse } from '#app/http/whole-body.server.ts'
import { loggablePath, logger } from '#app/logger.server.ts'
import { keepJsonTextValues } from '#app/utils/json-text.ts'
import { NonceProvider } from '#app/utils/nonce.tsx'

const ABORT_DELAY = 5_000

// A page's render reads its loaders' JSON texts back as the values they were made from.
keepJsonTextValues(renderValues)

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = loadContext.cspNonce ?? ''
  // Remix builds a page's headers only from routes' `headers` exports, so the Retry-After an action
  // or loader answered a refusal with (429, 503) would be lost on a post without JavaScript (a
  // document request): carry it over here, for every route. A thrown Response's headers do not
  // reach the page either: a 503 without one says when to try again all the same.
  const answered = answeredRetryAfter(remixContext)
  if (answered && !responseHeaders.has('Retry-After')) responseHeaders.set('Retry-After', answered)
  if (responseStatusCode === 503 && !responseHeaders.has('Retry-After')) {
    responseHeaders.set('Retry-After', String(RETRY_AFTER_SECONDS))
  }
  // We stream nothing lazily (no defer/Suspense), so the page is rendered whole and sent in one
  // write: streaming it in small chunks cost ~15% of the CPU in writev calls. The loader data is
  // read first (readHandoffFirst), so the render does not suspend on it, and then nothing can:
  // the page is rendered in one synchronous pass (renderPageAtOnce).
  const page = { request, responseStatusCode, responseHeaders, remixContext, nonce, loadContext }
  return readHandoffFirst(remixContext).then(() =>
    handedOffWhole(remixContext) && !loadContext.streamedPage ? renderPageAtOnce(page) : renderPage(page),
  )
}

type PageToRender = {
  request: Request
  responseStatusCode: number
  responseHeaders: Headers
  remixContext: EntryContext
  nonce: string
  loadContext: AppLoadContext
}

/** What both renderers render: the app, with the request's CSP nonce. */
function pageElement({ request, remixContext, nonce }: PageToRender) {
  return (
    <NonceProvider value={nonce}>
      <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
    </NonceProvider>
  )
}

/** Every chunk of the page's loader data is in the cache, none of them a read error. */
function handedOffWhole(context: EntryContext) {
  const cache = context.renderMeta?.streamCache
  if (!cache) return false
  for (const entry of Object.values(cache))
    if (entry.error !== undefined || entry.result === undefined) return false
  return true
}

/**
 * The page in one synchronous render (React's renderToString, as bytes: renderPageBytes), once
 * readHandoffFirst has put all of the loader data where StreamTransfer reads it: no component can
 * suspend then (the app has no Suspense of its own), so the markup is renderToPipeableStream's,
 * byte for byte (tests/integration/page-render.test.ts), without its scheduling, its Writable and
 * its timer. On the bench (issue 12, docs/performance.md session 34) home costs the server ~30%
 * less per page, the inbox and the ticket page 6–13%: a page rendered at once leaves nothing for
 * the old generation (6–8× fewer full collections per page). A render error throws here, as
 * onShellError rejected renderPage's promise: Remix renders the error boundary and handleError
 * logs it once.
 */
function renderPageAtOnce(page: PageToRender) {
  const { responseStatusCode, responseHeaders } = page
  const bytes = renderPageBytes(pageElement(page))
  // A boundary React could not finish: the streaming renderer, which waits, renders the page.
  if (!bytes) return renderPage(page)
  responseHeaders.set('Content-Type', 'text/html; charset=utf-8')
  return wholeBodyResponse(bytes, { headers: responseHeaders, status: responseStatusCode })
}

type StreamCache = NonNullable<NonNullable<EntryContext['renderMeta']>['streamCache']>

/**
 * The page's loader data (turbo-stream's text, which `<Scripts>` writes into the page chunk by
 * chunk) read before the render, into the cache Remix's StreamTransfer reads it from. Otherwise
 * the render suspends on each chunk and React resumes it on a later turn of the event loop (twice
 * per page): everything the render holds (its elements, segments and chunks, ~1.9 MB allocated
 * per inbox page) then lives across several young-generation collections under load and is
 * promoted, for the full collections to free. The chunks, their decoding and a read error
 * (thrown by the render as before) are exactly what StreamTransfer would have read.
 */
export async function readHandoffFirst(context: EntryContext) {
  const stream = context.serverHandoffStream
  const meta = context.renderMeta
  if (!stream || !meta || meta.streamCache || stream.locked) return
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  const cache: StreamCache = {}
  for (let id = 0; ; id++) {
    try {
      const { done, value } = await reader.read()
      cache[id] = Object.assign(Promise.resolve(), {
        result: { done, value: decoder.decode(value, { stream: true }) },
      })
      if (done) break
    } catch (error) {
      cache[id] = Object.assign(Promise.resolve(), { error })
      break
    }
  }
  meta.streamCache = cache
  // RemixServer still takes a reader of the stream (StreamTransfer reads nothing from it now that
  // every chunk is in the cache): an empty one. Releasing the read stream's lock instead made Node
  // create a second V8 context (about 1 MB) on the first page.
  context.serverHandoffStream = new ReadableStream({ start: (controller) => controller.close() })
}

function renderPage(page: PageToRender) {
  const { responseHeaders, loadContext } = page
  let { responseStatusCode } = page
  return new Promise<Response>((resolve, reject) => {
    let failed = false
    // Cleared once the page is rendered: a pending timer keeps the render (its chunks, the
    // Response) reachable for ABORT_DELAY, ~1,000 pages under load (issue 12 item 3). Set after
    // renderToPipeableStream returns, so a callback of it that runs first sees undefined.
    // eslint-disable-next-line prefer-const
    let abortTimer: NodeJS.Timeout | undefined
    const chunks: Buffer[] = []
    const sink = new Writable({
      // No 'close' after 'finish': React takes a close as "the destination closed early" and
      // aborts the finished render, building two errors with stack traces per page (0.9% of
      // the SSR inbox's busy samples on the bench). The sink only ever finishes.
      emitClose: false,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk)
        callback()
      },
      final(callback) {
        clearTimeout(abortTimer)
        responseHeaders.set('Content-Type', 'text/html; charset=utf-8')
        resolve(new Response(Buffer.concat(chunks), { headers: responseHeaders, status: responseStatusCode }))
        callback()
      },
    })
    const { pipe, abort } = renderToPipeableStream(pageElement(page), {
      nonce: page.nonce,
      onAllReady() {
        if (!failed) pipe(sink)
      },
      onShellError(error: unknown) {
        clearTimeout(abortTimer)
        failed = true
        reject(error)
      },
      onError(error: unknown) {
        responseStatusCode = 500
        logger().error({ err: error, reqId: loadContext.requestId }, 'render error')
      },
    })
    abortTimer = setTimeout(abort, ABORT_DELAY).unref()
  })
}

/** The Retry-After the deepest route's action (else loader) answered with, if any. */
function answeredRetryAfter({ staticHandlerContext: handled }: EntryContext) {
  for (const match of [...handled.matches].reverse()) {
    const id = match.route.id
    const value =
      handled.actionHeaders[id]?.get('Retry-After') ?? handled.loaderHeaders[id]?.get('Retry-After')
    if (value) return value
  }
  return null
}

/**
 * The same for `.data` requests (single fetch): the Retry-After their loader or action answered
 * with (noted by app/http/data-requests.server.ts), else the outage's for a 503.
 */
export const handleDataRequest: HandleDataRequestFunction = (response, { context }) => {
  const answered = (context as AppLoadContext).answeredRetryAfter
  if (answered && !response.headers.has('Retry-After')) response.headers.set('Retry-After', answered)
  if (response.status === 503 && !response.headers.has('Retry-After')) {
    response.headers.set('Retry-After', String(RETRY_AFTER_SECONDS))
  }
  return response
}

/**
 * Errors from loaders and actions are logged here, once, with the request id. A 4xx that Remix
 * raises itself (no route matches the URL: 404; a method the route has no action for: 405) is
 * the client's, not a failure: the request log's line has its status, and nothing is logged here.
 */
export const handleError: HandleErrorFunction = (error, { request, context }) => {
  if (request.signal.aborted) return
  if (isRouteErrorResponse(error) && error.status < 500) return
  logger().error(
    {
      err: error,
      reqId: (context as AppLoadContext | undefined)?.requestId,
      path: loggablePath(new URL(request.url).pathname),
    },
    'request failed',
  )
}
