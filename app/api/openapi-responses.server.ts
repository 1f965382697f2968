import { z } from 'zod'
import type { ZodOpenApiResponseObject, ZodOpenApiResponsesObject } from 'zod-openapi'
import { IDEMPOTENCY_KEY, type Operation, type OperationError } from './operation.server.ts'
import { MAX_LIMIT, Problem } from './schemas.server.ts'

/**
 * The responses of each operation in the OpenAPI document: every status it answers (its own, from
 * `op.errors`, and the refusals the runner in operation.server.ts makes for it), each described
 * for that operation, with the problem schema of its extension members and the headers it sends.
 * tests/integration/api-documented-answers.test.ts checks real answers against the served document.
 */

/** Response headers, as `components.headers`. */
export const RESPONSE_HEADERS = {
  'X-Request-Id': {
    description: 'The request’s id, as logged: quote it when reporting a problem',
    required: true,
    schema: { type: 'string' },
  },
  'RateLimit-Limit': {
    description: 'Requests allowed per minute for this token (on every answer to a valid token)',
    schema: { type: 'integer' },
  },
  'RateLimit-Remaining': { description: 'Requests left in the current window', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until the window resets', schema: { type: 'integer' } },
  Location: { description: 'Where the new resource is (a path)', required: true, schema: { type: 'string' } },
  Link: {
    description: 'RFC 8288 `<…>; rel="next"`: this URL with the next page’s cursor; absent on the last page',
    schema: { type: 'string' },
  },
  'Idempotent-Replayed': {
    description: 'On the stored first answer to a request repeated with its Idempotency-Key',
    schema: { type: 'string', const: 'true' },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer', minimum: 1 },
  },
  'Retry-After-Optional': {
    description: 'Seconds to wait before trying again (with `idempotency-in-progress`: 1)',
    schema: { type: 'integer', minimum: 1 },
  },
  'WWW-Authenticate': {
    description:
      'The RFC 6750 Bearer challenge: `error="invalid_token"`, `"invalid_request"` or `"insufficient_scope"`',
    required: true,
    schema: { type: 'string' },
  },
  'WWW-Authenticate-Insufficient-Scope': {
    description:
      'With `insufficient-scope`: `Bearer realm="switchboard", error="insufficient_scope", scope="…"`',
    schema: { type: 'string' },
  },
} as const

type HeaderName = keyof typeof RESPONSE_HEADERS

/** Headers by their name on the wire (the component's name up to its variant). */
function headers(...names: HeaderName[]) {
  return Object.fromEntries(
    names.map((name) => [
      name.replace(/-(Optional|Insufficient-Scope)$/, ''),
      { $ref: `#/components/headers/${name}` },
    ]),
  )
}

const RATE: HeaderName[] = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']

/** The Idempotency-Key request header of every POST: exactly what the runner accepts. */
export const IDEMPOTENCY_KEY_PARAMETER = {
  name: 'Idempotency-Key',
  in: 'header' as const,
  required: false,
  description:
    'Retry-safe POST: the same key with the same request (method, path and body, byte for byte) within 24 hours returns the stored first answer with `Idempotent-Replayed: true`; with another request it is 422 `idempotency-key-reused`. 1–255 visible ASCII characters (a UUID is ideal); anything else, or the header twice, is a `validation` 400.',
  schema: { type: 'string' as const, pattern: IDEMPOTENCY_KEY.source },
}

function problemResponse(
  description: string,
  schema: z.ZodType = Problem,
  names: HeaderName[] = [],
): ZodOpenApiResponseObject {
  return {
    description,
    headers: headers('X-Request-Id', ...names),
    content: { 'application/problem+json': { schema } },
  }
}

/** One sentence per case the status covers. */
function sentences(cases: string[]) {
  return cases
    .filter(Boolean)
    .map((text) => `${text.charAt(0).toUpperCase()}${text.slice(1)}.`)
    .join(' ')
}

function own(error: OperationError | undefined) {
  if (error === undefined) return { descriptions: [] as string[], schema: undefined }
  if (typeof error === 'string') return { descriptions: [error], schema: undefined }
  return { descriptions: [error.description], schema: error.schema }
}

function isList(op: Operation) {
  return op.query instanceof z.ZodObject && 'cursor' in op.query.shape
}

/** What makes `op` a 400: only what it reads can be wrong. Nothing ran, so nothing is stored. */
function badRequest(op: Operation) {
  const wrong = op.body
    ? 'a field of the body or a query parameter is wrong, unknown or missing'
    : op.method !== 'GET'
      ? 'a query parameter, or a body other than `{}`, was sent'
      : op.query
        ? 'a query parameter is wrong, unknown or given twice'
        : 'a query parameter was sent: this operation takes none'
  return sentences([
    `${wrong} (\`validation\`, \`errors\` names each)`,
    op.method === 'POST'
      ? 'the `Idempotency-Key` is not 1–255 visible ASCII characters (`validation`): nothing ran, so correct the request and send it again with the same key'
      : '',
    op.method !== 'GET' ? 'the body is not JSON, not UTF-8 or nested over 64 levels (`bad-request`)' : '',
    isList(op)
      ? `\`cursor\` is not one this list gave out (\`invalid-cursor\`), or \`limit\` is not 1–${MAX_LIMIT} in decimal digits (\`validation\`)`
      : '',
  ])
}

/** Every response of `op`, keyed by status. */
export function operationResponses(op: Operation): ZodOpenApiResponsesObject {
  const post = op.method === 'POST'
  const readsBody = op.method !== 'GET'
  // A POST's answers that its Idempotency-Key stores are replayed with Idempotent-Replayed.
  const replayed: HeaderName[] = post ? ['Idempotent-Replayed'] : []
  const responses: ZodOpenApiResponsesObject = {
    [`${op.response.status}`]: {
      description: op.response.description,
      headers: headers('X-Request-Id', ...RATE, ...(op.response.headers ?? []), ...replayed),
      content: { 'application/json': { schema: op.response.schema } },
    },
  }
  const add = (status: number, response: ZodOpenApiResponseObject) => {
    responses[`${status}` as `4${string}`] = response
  }

  add(400, problemResponse(badRequest(op), Problem, RATE))
  add(
    401,
    problemResponse(
      'No valid token: none, not `Bearer …`, malformed, unknown, revoked or expired, or `Authorization` sent twice (`unauthorized`).',
      Problem,
      ['WWW-Authenticate'],
    ),
  )
  add(
    403,
    problemResponse(
      sentences([
        `the token lacks the \`${op.scope}\` scope (\`insufficient-scope\`)`,
        op.role ? `the token’s creator is not an owner or ${op.role} now (\`forbidden\`)` : '',
      ]),
      Problem,
      [...RATE, 'WWW-Authenticate-Insufficient-Scope'],
    ),
  )
  const notFound = own(op.errors?.[404])
  if (notFound.descriptions.length > 0) {
    add(404, problemResponse(sentences(notFound.descriptions), notFound.schema, [...RATE, ...replayed]))
  }
  const conflict = own(op.errors?.[409])
  const conflicts = [
    ...conflict.descriptions,
    post
      ? 'a request with this `Idempotency-Key` is still running (`idempotency-in-progress`): retry after `Retry-After`'
      : '',
  ].filter(Boolean)
  if (conflicts.length > 0) {
    add(
      409,
      problemResponse(sentences(conflicts), conflict.schema, [...RATE, 'Retry-After-Optional', ...replayed]),
    )
  }
  if (readsBody) {
    add(413, problemResponse('The body is over 1 MB (`payload-too-large`).', Problem, RATE))
    add(
      415,
      problemResponse(
        op.body
          ? 'The body is not `application/json` (or `application/…+json`) in UTF-8, or it has a `Content-Encoding` (`unsupported-media-type`).'
          : 'A body was sent that is not `application/json` in UTF-8 (`unsupported-media-type`): this operation takes none, or `{}`.',
        Problem,
        RATE,
      ),
    )
  }
  const unprocessable = own(op.errors?.[422])
  const unprocessables = [
    ...unprocessable.descriptions,
    post ? 'this `Idempotency-Key` was used with another request (`idempotency-key-reused`)' : '',
  ].filter(Boolean)
  if (unprocessables.length > 0) {
    add(422, problemResponse(sentences(unprocessables), unprocessable.schema, [...RATE, ...replayed]))
  }
  const limited = own(op.errors?.[429])
  add(
    429,
    problemResponse(
      sentences([
        'the token made too many requests this minute (`rate-limited`)',
        ...limited.descriptions,
        'nothing was done: retry after `Retry-After`',
      ]),
      limited.schema,
      [...RATE, 'Retry-After'],
    ),
  )
  add(
    500,
    problemResponse(
      'Something failed on our side (`internal`); it is logged with the `X-Request-Id`.',
      Problem,
      RATE,
    ),
  )
  add(
    503,
    problemResponse(
      'The database is unavailable for a moment (`unavailable`): retry after `Retry-After`.',
      Problem,
      ['Retry-After'],
    ),
  )
  return responses
}
