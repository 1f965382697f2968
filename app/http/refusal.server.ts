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
 * A refusal before Remix: problem+json of `type` under /api, else `status` with plain `text`
 * (the status is the problem type's, so both shapes agree).
 */
export function refuse(res: Response, path: string, type: ProblemType, text: string) {
  if (isApiPath(path)) return sendProblem(res, type, text)
  res.status(problemBody(type, text).status).type('text/plain').send(text)
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

/** A refusal with a bare 4xx status: problem+json under /api, else the status's plain text. */
export function refuseWithStatus(res: Response, path: string, status: number) {
  const text = STATUS_CODES[status] ?? 'Bad request'
  if (isApiPath(path)) return sendProblem(res, problemTypeFor(status) ?? 'bad-request', text)
  res.status(status).type('text/plain').send(text)
}
