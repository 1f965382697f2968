import { createRequestHandler, type AppLoadContext, type ServerBuild } from '@remix-run/node'
import type { Request as ExpressRequest, RequestHandler, Response as ExpressResponse } from 'express'
import { createReadableStreamFromReadable } from '@remix-run/node'
import { remixRequestHeaders, remixRequestUrl } from '#app/api/dispatch.server.ts'
import { isBodyTooLarge } from './body-too-large.server.ts'
import { whileHandling } from './request-scope.server.ts'
import { wholeBodyOf } from './whole-body.server.ts'

/**
 * @remix-run/express 2.17's request handler with two differences that cost nothing in behaviour:
 * - the request's signal is also aborted once the response has finished (with FINISHED as its
 *   reason). Remix hands that signal to the turbo-stream encoder of every `.data` answer and
 *   every page's hydration data, whose 4.95 s timeout is cleared only on abort: with the express
 *   adapter each answered request's data and page context stayed reachable for 5 s (GC work
 *   under load). Loaders and actions are long done by then; a client that goes away before the
 *   response is complete aborts it as before, with the default AbortError;
 * - the body is sent by sendResponse: one write with a Content-Length when it is complete
 *   without waiting (a page rendered whole, a `.data` answer), streamed as before otherwise.
 */

export const FINISHED = new Error('response finished')

type LoadContextOf = (req: ExpressRequest, res: ExpressResponse) => AppLoadContext

/** A signal aborted when the client goes away before the response is complete, or after it is. */
export function requestSignal(res: ExpressResponse) {
  const controller = new AbortController()
  let finished = false
  res.on('finish', () => {
    finished = true
    controller.abort(FINISHED)
  })
  res.on('close', () => {
    if (!finished) controller.abort()
  })
  return controller.signal
}

export function remixRequestHandler(options: {
  build: ServerBuild | (() => Promise<ServerBuild>)
  mode: 'development' | 'production'
  getLoadContext: LoadContextOf
}): RequestHandler {
  const build = options.build
  const handle = createRequestHandler(
    typeof build === 'function' ? async () => trackingActions(await build()) : trackingActions(build),
    options.mode,
  )
  return (req, res, next) => {
    void (async () => {
      const init: RequestInit & { duplex?: 'half' } = {
        method: req.method,
        headers: remixRequestHeaders(req),
        signal: requestSignal(res),
      }
      // A body over the limit is never read (its action answers 413 at once: isBodyTooLarge).
      if (req.method !== 'GET' && req.method !== 'HEAD' && !isBodyTooLarge(res)) {
        init.body = createReadableStreamFromReadable(req)
        init.duplex = 'half'
      }
      const request = new Request(remixRequestUrl(req).href, init)
      const response = await handle(request, options.getLoadContext(req, res))
      await sendResponse(res, response)
    })().catch(next)
  }
}

/**
 * The build with every route's action run under `whileHandling`: a client that goes away makes
 * Remix stop waiting for the action (it races the request's signal), but the action runs on and
 * commits; what waits for the end of the request (an upload's files, atEndOfRequest) waits for it.
 */
function trackingActions(build: ServerBuild): ServerBuild {
  const routes = Object.fromEntries(
    Object.entries(build.routes).map(([id, route]) => {
      const action = route.module.action
      if (!action) return [id, route]
      const tracked: typeof action = (args) => whileHandling(async () => action(args))
      return [id, { ...route, module: { ...route.module, action: tracked } }]
    }),
  )
  return { ...build, routes }
}

const WAITING = Symbol('waiting')
const nextTurn = () => new Promise<typeof WAITING>((resolve) => setImmediate(() => resolve(WAITING)))

/**
 * Writes a Fetch Response as @remix-run/express's sendRemixResponse does (status text, status,
 * headers; a header the response names replaces one a middleware set, where Remix appends), but the body in one write with a Content-Length when all of it is there
 * without waiting: a page rendered whole, turbo-stream data without promises. If a chunk is not
 * there by the next turn of the event loop, what is read so far is written and the rest streamed,
 * chunk by chunk as Remix does (an AI draft's event stream, a file).
 */
export async function sendResponse(res: ExpressResponse, response: Response) {
  res.statusMessage = response.statusText
  res.status(response.status)
  // A route's own header replaces the default a middleware set (an email frame's Referrer-Policy
  // was sent twice); only Set-Cookie adds to what is there (iterated one cookie at a time).
  for (const [name, value] of response.headers.entries()) {
    if (name === 'set-cookie') res.append(name, value)
    else res.set(name, value)
  }
  if (/text\/event-stream/i.test(response.headers.get('Content-Type') ?? '')) res.flushHeaders()
  if (!response.body) {
    res.end()
    return
  }
  const whole = wholeBodyOf(response)
  if (whole) {
    if (!res.headersSent) res.setHeader('Content-Length', whole.byteLength)
    res.end(whole)
    return
  }
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  try {
    // One turn for the whole body: what has not arrived by then is streamed.
    const turn = nextTurn()
    let pending = reader.read()
    for (;;) {
      const ready = await Promise.race([pending, turn])
      if (ready === WAITING) break
      if (ready.done) {
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
        if (!res.headersSent) res.setHeader('Content-Length', body.byteLength)
        res.end(body)
        return
      }
      chunks.push(ready.value)
      pending = reader.read()
    }
    // Streaming from here on, as Remix's writeReadableStreamToWritable does.
    for (const chunk of chunks) res.write(chunk)
    for (;;) {
      const { done, value } = await pending
      if (done) break
      res.write(value)
      pending = reader.read()
    }
    res.end()
  } catch (error) {
    res.destroy(error as Error)
    throw error
  }
}
