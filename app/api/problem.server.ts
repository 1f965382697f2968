import type { OutboundLimited } from '#app/domain/outbound-email-limit.server.ts'

/**
 * RFC 9457 problem details, the API's one error shape. `type` is a stable identifier per kind
 * of problem (documented in docs/api.md); clients branch on it, never on `title` or `detail`.
 * Nothing here ever carries a stack trace or echoes a request body.
 */
export const PROBLEM_BASE = 'https://switchboard.dev/problems/'

export const PROBLEMS = {
  'bad-request': { status: 400, title: 'Bad request' },
  validation: { status: 400, title: 'Validation failed' },
  'invalid-cursor': { status: 400, title: 'Invalid cursor' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  'insufficient-scope': { status: 403, title: 'Insufficient scope' },
  forbidden: { status: 403, title: 'Forbidden' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  'idempotency-in-progress': { status: 409, title: 'Request with this Idempotency-Key in progress' },
  'request-timeout': { status: 408, title: 'Request timeout' },
  'length-required': { status: 411, title: 'Length required' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'uri-too-long': { status: 414, title: 'URI too long' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'request-header-fields-too-large': { status: 431, title: 'Request header fields too large' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency-Key reused with another request' },
  unprocessable: { status: 422, title: 'Unprocessable request' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'email-limit': { status: 429, title: 'Customer email limit reached' },
  internal: { status: 500, title: 'Internal server error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>

export type ProblemType = keyof typeof PROBLEMS

/** The general problem type of a status (the first listed with it), if there is one. */
export function problemTypeFor(status: number): ProblemType | undefined {
  return (Object.keys(PROBLEMS) as ProblemType[]).find((type) => PROBLEMS[type].status === status)
}
export type FieldError = { field: string; message: string }

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

export type ProblemBody = {
  type: string
  title: string
  status: number
  detail: string
  errors?: FieldError[]
  [extension: string]: unknown
}

/** The JSON body of a problem (also used by the Express body limit, before Remix). */
export function problemBody(
  type: ProblemType,
  detail: string,
  extensions: Record<string, unknown> = {},
): ProblemBody {
  const { status, title } = PROBLEMS[type]
  return { type: PROBLEM_BASE + type, title, status, detail, ...extensions }
}

/** A problem+json Response; routes throw or return it. */
export function problem(
  type: ProblemType,
  detail: string,
  init: { headers?: HeadersInit; extensions?: Record<string, unknown> } = {},
) {
  const body = problemBody(type, detail, init.extensions)
  const headers = new Headers(init.headers)
  headers.set('content-type', PROBLEM_CONTENT_TYPE)
  headers.set('cache-control', 'no-store')
  return new Response(JSON.stringify(body), { status: body.status, headers })
}

/** 405 for a method the resource does not answer, with its Allow (HEAD wherever GET is). */
export function methodNotAllowed(methods: readonly string[]) {
  const allow = withHead(methods).join(', ')
  return problem('method-not-allowed', `Use ${allow}.`, { headers: { allow } })
}

/** HEAD wherever GET is, right after it. */
export function withHead(methods: readonly string[]) {
  return methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]))
}

/**
 * The workspace's customer emails for the hour are used up (app/domain/outbound-email-limit.server.ts):
 * nothing was written; Retry-After says when one recipient's worth is free again.
 */
export function emailLimitProblem(limited: OutboundLimited) {
  const until = limited.verifiedOwner ? '' : ' while no owner of the workspace has verified their email'
  return problem(
    'email-limit',
    `At most ${limited.max} customer email recipients per hour per workspace${until}; nothing was sent. Retry after ${limited.retryAfterSeconds} s.`,
    {
      headers: { 'retry-after': String(limited.retryAfterSeconds) },
      extensions: { limit: limited.max, retry_after: limited.retryAfterSeconds },
    },
  )
}

export function validationProblem(errors: FieldError[], detail?: string) {
  return problem('validation', detail ?? describeErrors(errors), { extensions: { errors } })
}

/** "Check a, b." naming each field once (a field can fail two checks); one error says its message. */
function describeErrors(errors: FieldError[]) {
  const [only] = errors
  if (errors.length === 1 && only)
    return `Check ${only.field || 'the body'}: ${only.message.replace(/\.$/, '')}.`
  const named = [...new Set(errors.map((e) => e.field || 'the body'))]
  return `Check ${named.slice(0, 5).join(', ')}${named.length > 5 ? ' and more' : ''}.`
}
