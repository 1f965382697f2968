import type { Response } from 'express'
import { PROBLEM_CONTENT_TYPE, problemBody, type ProblemType } from '#app/api/problem.server.ts'

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
