import type { RequestHandler } from 'express'

/**
 * Reads to the end, and drops, whatever of a request's body is still unread once its response has
 * been sent, so a keep-alive connection can carry the client's next request.
 *
 * Node does this itself for a body nothing started to read (`_dump` when the response finishes),
 * but not for one a reader started and then paused. Remix's request stream attaches its reader
 * at once and pauses it after the first 64 KB or so; so does the API's JSON reader, which stops
 * early on a body it refuses. A POST answered without reading its body (a 405 where a route has no
 * action, a 404 or 403 from a guard, a 415, a body refused after its first bytes) left the rest of
 * a larger body on the connection, the response said `keep-alive`, and the client's next request
 * on it waited behind the unread bytes until the server dropped the connection (about 6 s, then
 * ECONNRESET). How much is read is bounded by `bodyLimit`, which ran before the body was touched.
 */
export function discardUnreadBody(): RequestHandler {
  return (req, res, next) => {
    res.once('finish', () => {
      if (req.complete || req.destroyed) return
      // Listeners still attached (a paused reader) would keep what is read in memory.
      req.removeAllListeners('data')
      req.resume()
    })
    next()
  }
}
