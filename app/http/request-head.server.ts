import { randomUUID } from 'node:crypto'
import type { Server, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { RequestHandler, Response } from 'express'
import { PROBLEM_CONTENT_TYPE, problemBody } from '#app/api/problem.server.ts'
import { loggablePath, logger } from '#app/logger.server.ts'
import { isApiPath, isMcpPath, refuse } from './refusal.server.ts'

/**
 * What a request's line and headers may take together: Node's default, and about what proxies
 * and browsers allow. A longer one is answered by the app (`requestHeadSize`), with a body.
 */
export const REQUEST_HEAD_LIMIT = 16 * 1024
/** A URL longer than this, in a head over the limit, is "the address is too long" (414), else 431. */
export const LONG_URL = 8 * 1024
/**
 * What Node's parser reads before it gives up on its own (`maxHeaderSize`): above our limit, so
 * that a head between the two reaches `requestHeadSize`. Node used to answer every head over
 * 16 KB with a bare 431, no body, nothing logged (a long search pasted into the address bar
 * showed the browser's own error page).
 */
export const REQUEST_HEAD_READ_LIMIT = 64 * 1024

const HTML_PAGES = {
  414: {
    title: 'This address is too long',
    text: 'The address of the page (its URL) is too long for Switchboard to read. Shorten the search or remove some filters, then try again.',
  },
  431: {
    title: 'This request is too large',
    text: 'The request’s headers are too large for Switchboard to read. Clearing this site’s cookies in the browser usually helps.',
  },
  /** Past what Node reads, with the request line gone from its buffer: the address or the headers. */
  unseen: {
    title: 'This request is too large',
    text: 'The address of the page or the request’s headers are too large for Switchboard to read. Shorten the search or remove some filters; clearing this site’s cookies can help too.',
  },
} as const

/** A head over the limit: 414 for a long URL, 431 for headers; problem+json, JSON-RPC or an HTML page. */
export function requestHeadSize(): RequestHandler {
  return (req, res, next) => {
    const urlBytes = Buffer.byteLength(req.originalUrl)
    let headBytes = req.method.length + urlBytes + 12
    for (const value of req.rawHeaders) headBytes += Buffer.byteLength(value) + 2
    if (headBytes <= REQUEST_HEAD_LIMIT) return next()
    const status = urlBytes > LONG_URL ? 414 : 431
    logger().info(
      { status, reqId: res.locals.requestId, headBytes, path: loggablePath(req.path) },
      'request refused: request head too large',
    )
    res.set('connection', 'close')
    answer(res, req.originalUrl, status)
  }
}

function answer(res: Response, url: string, status: 414 | 431) {
  const page = HTML_PAGES[status]
  if (isApiPath(url) || isMcpPath(url)) {
    return refuse(res, url, status === 414 ? 'uri-too-long' : 'request-header-fields-too-large', page.text)
  }
  res.status(status).type('html').send(htmlPage(page))
}

function htmlPage(page: { title: string; text: string }) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${page.title} · Switchboard</title></head><body><main><h1>${page.title}</h1><p>${page.text}</p><p><a href="/">Go to Switchboard</a></p></main></body></html>\n`
}

type ParserError = NodeJS.ErrnoException & { rawPacket?: Buffer }

const CLOSE = 'Connection: close\r\n'
const BARE: Record<string, string> = {
  HPE_CHUNK_EXTENSIONS_OVERFLOW: `HTTP/1.1 413 Payload Too Large\r\n${CLOSE}\r\n`,
  ERR_HTTP_REQUEST_TIMEOUT: `HTTP/1.1 408 Request Timeout\r\n${CLOSE}\r\n`,
}

/**
 * A head even over REQUEST_HEAD_READ_LIMIT never reaches the app: Node reports it as a client
 * error. It is answered here as `requestHeadSize` would, judged by what of it arrived (the
 * request line, when the parser still holds it), and logged with a request id. Every other
 * client error gets Node's own answer (a listener replaces Node's handling altogether).
 */
export function answerOversizedHeads(server: Server) {
  server.on('clientError', (error: ParserError, socket: Duplex) => {
    // Node's rule: nothing is written into a response already under way.
    const busy = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage
    if (socket.writable && !busy) {
      if (error.code === 'HPE_HEADER_OVERFLOW') socket.write(oversizedAnswer(error.rawPacket))
      else if (error.code !== 'ECONNRESET')
        socket.write(BARE[error.code ?? ''] ?? `HTTP/1.1 400 Bad Request\r\n${CLOSE}\r\n`)
    }
    socket.destroy()
  })
}

function oversizedAnswer(raw: Buffer | undefined) {
  // The parser's buffer holds the last chunk read: the request line only when it came with it.
  const start = raw?.subarray(0, LONG_URL + 64).toString('latin1') ?? ''
  const line = /^[A-Z]+ (\S+) HTTP\/1\.[01]\r\n/.exec(start)
  const url = line?.[1] ?? ''
  const status = line && url.length > LONG_URL ? 414 : 431
  const page = line ? HTML_PAGES[status] : HTML_PAGES.unseen
  const requestId = randomUUID()
  logger().info(
    { status, reqId: requestId, path: line ? loggablePath(url.split('?')[0].slice(0, 200)) : null },
    'request refused: request head too large',
  )
  let type = 'text/html; charset=utf-8'
  let body = htmlPage(page)
  if (isApiPath(url)) {
    type = PROBLEM_CONTENT_TYPE
    body = JSON.stringify(
      problemBody(status === 414 ? 'uri-too-long' : 'request-header-fields-too-large', page.text),
    )
  } else if (isMcpPath(url)) {
    type = 'application/json; charset=utf-8'
    body = JSON.stringify({ jsonrpc: '2.0', error: { code: -32600, message: page.text }, id: null })
  }
  const reason = status === 414 ? 'URI Too Long' : 'Request Header Fields Too Large'
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nX-Request-Id: ${requestId}\r\n${CLOSE}\r\n${body}`
  )
}
