import { STATUS_CODES } from 'node:http'
import type { Response } from 'express'
import {
  PROBLEM_CONTENT_TYPE,
  problemBody,
  problemTypeFor,
  type ProblemType,
} from '#app/api/problem.server.ts'

/**
 * Is this a path of the token API? Its clients parse RFC 9457 problem+json, so every refusal
 * made before Remix (request target, Host, origin, body limits, errors) answers them in that
 * shape; other paths keep their plain-text answers. `path` is the raw target for a malformed one.
 */
export function isApiPath(path: string) {
  return /^\/api(?:[/?#]|$)/.test(path)
}

/**
 * Is this the MCP endpoint? Its clients parse JSON-RPC, so a refusal made before the MCP handler
 * (body limit and deadline, request target, method, Host, origin) answers as its own do: a
 * JSON-RPC error with `id` null and the same HTTP status.
 */
export function isMcpPath(path: string) {
  return /^\/mcp\/?(?:[?#]|$)/i.test(path)
}

/**
 * A JSON-RPC error for a request the MCP server never read. -32600 (Invalid Request) for a
 * request malformed as sent, -32603 (Internal error) for our failure, else -32000 (the
 * implementation-defined server error the SDK uses for its own HTTP-level refusals).
 */
export function sendRpcError(res: Response, status: number, message: string, code = rpcCodeFor(status)) {
  res
    .status(status)
    .set('cache-control', 'no-store')
    .json({ jsonrpc: '2.0', error: { code, message }, id: null })
}

function rpcCodeFor(status: number) {
  if (status >= 500) return -32603
  return [400, 411, 413, 414, 415, 431].includes(status) ? -32600 : -32000
}

/** Answers an RFC 9457 problem (no stack, no echo of the request). */
export function sendProblem(res: Response, type: ProblemType, detail: string) {
  const body = problemBody(type, detail)
  res
    .status(body.status)
    .set('content-type', PROBLEM_CONTENT_TYPE)
    .set('cache-control', 'no-store')
    .end(JSON.stringify(body))
}

/**
 * A refusal before Remix: problem+json of `type` under /api, a JSON-RPC error on /mcp, else
 * `status` with plain `text` (the status is the problem type's, so all shapes agree). `detail`,
 * when given, is what the structured answers say instead of `text`.
 */
export function refuse(res: Response, path: string, type: ProblemType, text: string, detail = text) {
  if (isApiPath(path)) return sendProblem(res, type, detail)
  const { status } = problemBody(type, detail)
  if (isMcpPath(path)) return sendRpcError(res, status, detail)
  res.status(status).type('text/plain').send(text)
}

/**
 * The 4xx status an error carries when a library reports a client's mistake as an http-error
 * (`status` or `statusCode`, as express.static's `send` and body-parser do); else undefined.
 */
export function clientErrorStatus(error: unknown): number | undefined {
  const { status, statusCode } = (error ?? {}) as { status?: unknown; statusCode?: unknown }
  const value = typeof status === 'number' ? status : statusCode
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value < 500
    ? value
    : undefined
}

/** A refusal with a bare 4xx status: problem+json under /api, JSON-RPC on /mcp, else plain text. */
export function refuseWithStatus(res: Response, path: string, status: number) {
  const text = STATUS_CODES[status] ?? 'Bad request'
  if (isApiPath(path)) return sendProblem(res, problemTypeFor(status) ?? 'bad-request', text)
  if (isMcpPath(path)) return sendRpcError(res, status, text)
  res.status(status).type('text/plain').send(text)
}
