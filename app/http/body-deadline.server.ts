import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Request, RequestHandler, Response } from 'express'
import { loggablePath, logger } from '#app/logger.server.ts'
import { refuse } from './refusal.server.ts'

/**
 * Bytes per second a body must keep up, on average, once its first `HTTP_BODY_TIMEOUT_MS` are
 * spent: each byte that arrived buys 1/rate of a second more. Browsers: 16 KiB/s (a 25 MB
 * attachment over a 128 kbit/s uplink still goes). SendGrid's webhooks post from data centres:
 * 1 MiB/s, so an event post (at most 5 MB) has the timeout plus 5 s, and a forged one cannot hold
 * its bytes of the events' memory budget by trickling.
 */
export const BODY_MIN_BYTES_PER_SECOND = { browser: 16 * 1024, webhook: 1024 * 1024 } as const

const WEBHOOK_PATH = /^\/webhooks\//

/**
 * A request body must arrive in time, on every path and whoever reads it (forms, uploads, the
 * API's and MCP's JSON, SendGrid's webhooks, a body drained after its answer): within `timeoutMs`
 * of its headers plus one second per `BODY_MIN_BYTES_PER_SECOND` bytes received. Otherwise the
 * request is answered 408 (problem+json under /api) with `Connection: close`, or, once an answer
 * went out, just cut; either way the socket is destroyed, so the reader sees the client go away
 * and gives back what it held (the event posts' memory budget, an upload's temporary file).
 *
 * Without it a body that sent its headers and then trickled, or nothing, held its reader until
 * Node's request timeout (300 s): forged event posts kept their bytes of the 32 MB budget and
 * genuine ones got 503 meanwhile. Time the server itself spends not reading (a handler that has
 * not yet read its body, backpressure while a file is written) does not count: while bytes wait
 * unread in the request's buffer the deadline moves on with the clock.
 */
export function bodyDeadline(timeoutMs: () => number): RequestHandler {
  return (req, res, next) => {
    if (!hasBody(req) || req.complete) return next()
    watch(req, res, timeoutMs(), minRateFor(req.path), (received) => expire(req, res, received))
    next()
  }
}

function hasBody(req: Request) {
  const length = req.get('content-length')
  if (length !== undefined) return Number(length) > 0
  return req.get('transfer-encoding') !== undefined
}

function minRateFor(path: string) {
  return WEBHOOK_PATH.test(path) ? BODY_MIN_BYTES_PER_SECOND.webhook : BODY_MIN_BYTES_PER_SECOND.browser
}

/**
 * The same deadline for a request Express never sees: engine.io answers `/socket.io/` before it
 * (a long-polling POST, which we refuse at once since Socket.IO runs on WebSocket only). Its
 * refusal went out at once, but Node then drains the unread body for the keep-alive connection,
 * and a body that trickled held the connection until Node's request timeout (300 s).
 */
export function watchRawBodyDeadline(req: IncomingMessage, res: ServerResponse, timeoutMs: number) {
  const length = req.headers['content-length']
  const hasBody = length !== undefined ? Number(length) > 0 : req.headers['transfer-encoding'] !== undefined
  if (!hasBody || req.complete) return
  watch(req, res, timeoutMs, BODY_MIN_BYTES_PER_SECOND.browser, (received) => {
    logger().info(
      { path: loggablePath(req.url?.split('?')[0] ?? '/'), received, answered: res.headersSent },
      'request body too slow: connection closed',
    )
    const cut = closer(req)
    if (res.headersSent) return cut()
    res.writeHead(408, { Connection: 'close', 'Content-Type': 'text/plain; charset=utf-8' })
    res.end('Request body timeout: the body did not arrive in time', cut)
    setTimeout(cut, 1000).unref()
  })
}

function watch(
  req: IncomingMessage,
  res: ServerResponse,
  timeoutMs: number,
  bytesPerSecond: number,
  onExpire: (received: number) => void,
) {
  const socket = req.socket
  const startBytes = socket.bytesRead
  let deadline = Date.now() + timeoutMs
  let timer: NodeJS.Timeout | undefined
  // The socket outlives the request on a keep-alive connection: its listener goes with the
  // request, or every POST on the connection would leave one behind.
  const stop = () => {
    clearTimeout(timer)
    socket.off('close', stop)
  }
  const check = () => {
    if (req.complete || socket.destroyed) return
    const now = Date.now()
    // Bytes the handler has not taken yet: the wait is ours, not the client's. Not once the
    // answer went out (a body left unread is being drained, and that is the client's to finish).
    if (!res.writableFinished && req.readableLength > 0) {
      deadline = now + timeoutMs
      return arm(timeoutMs)
    }
    const received = Math.max(0, socket.bytesRead - startBytes)
    const allowedUntil = deadline + Math.floor((received / bytesPerSecond) * 1000)
    if (now < allowedUntil) return arm(allowedUntil - now)
    onExpire(received)
  }
  const arm = (ms: number) => {
    timer = setTimeout(check, Math.max(10, ms))
    timer.unref()
  }
  arm(timeoutMs)
  req.once('end', stop)
  req.once('close', stop)
  socket.once('close', stop)
}

/** Answers 408 if nothing was answered yet, then destroys the connection, freeing what its reader holds. */
function expire(req: Request, res: Response, received: number) {
  logger().info(
    { reqId: res.locals.requestId, path: loggablePath(req.path), received, answered: res.headersSent },
    'request body too slow: connection closed',
  )
  const cut = closer(req)
  if (res.headersSent) return cut()
  res.set('Connection', 'close')
  res.once('finish', cut)
  // A client that does not read its answer either: the connection goes anyway.
  setTimeout(cut, 1000).unref()
  refuse(res, req.path, 'request-timeout', 'Request body timeout: the body did not arrive in time')
}

/**
 * Destroys the request stream and its socket. The request stream too, not only the socket: once
 * an answer has finished, Node detaches the request from its socket, and a reader still waiting
 * on it would never hear the socket close (the events reader kept its bytes counted).
 */
function closer(req: IncomingMessage) {
  const socket = req.socket
  return () => {
    req.destroy()
    socket.destroy()
  }
}
