import type { ActionFunctionArgs, AppLoadContext, LoaderFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import type { $ZodIssue } from 'zod/v4/core'
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  releaseIdempotencyKey,
  requestFingerprint,
} from '#app/domain/api-idempotency.server.ts'
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from '#app/http/database-outage.server.ts'
import { checkJsonInput, jsonBodyRefusal } from '#app/http/json-input.server.ts'
import { logger } from '#app/logger.server.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import type { Role } from '#app/utils/roles.ts'
import {
  authenticateApiRequest,
  requireApiRole,
  requireScope,
  type ApiPrincipal,
  type ApiScope,
} from './auth.server.ts'
import {
  methodNotAllowed,
  problem,
  PROBLEM_CONTENT_TYPE,
  validationProblem,
  type FieldError,
} from './problem.server.ts'
import { EmptyBody } from './schemas.server.ts'
import type { ApiSlotAnswer } from './token-limit.server.ts'

/**
 * One API operation: its method, path, scope and Zod schemas (which both validate the request
 * and generate its part of the OpenAPI document) and the handler that makes the domain call.
 * Routes in app/routes/api.v1.* list their operations with `apiRoute`.
 */
export type Operation<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
> = {
  operationId: string
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  /** OpenAPI path under /api/v1, e.g. `/tickets/{number}`. */
  path: string
  summary: string
  tag: string
  scope: ApiScope
  /**
   * The role the token's creator must have now (besides the scope), checked with the scope before
   * anything else runs, a replayed Idempotency-Key included.
   */
  role?: Role
  params?: P
  query?: Q
  body?: B
  response: {
    status: 200 | 201
    description: string
    schema: R
    /** Headers its success carries besides those every answer does (OpenAPI: openapi-responses). */
    headers?: ('Location' | 'Link')[]
  }
  /**
   * What the operation itself answers besides the runner's refusals (400, 401, 403, 413, 415,
   * the Idempotency-Key's 409 and 422, the token's 429, 500, 503), per status: when, and for a
   * problem with extension members, its schema. The OpenAPI document lists exactly these.
   */
  errors?: Partial<Record<OperationErrorStatus, OperationError>>
  handle: (input: OperationInput<P, Q, B>) => Promise<OperationResult<R>>
}

export type OperationErrorStatus = 404 | 409 | 422 | 429
/** When the operation answers a status, and the problem's schema if it has extension members. */
export type OperationError = string | { description: string; schema: z.ZodType }

export type OperationInput<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> = {
  principal: ApiPrincipal
  params: z.output<P>
  query: z.output<Q>
  body: z.output<B>
  url: URL
  /** Publishes the domain's events; call after the domain call returned (after its commit). */
  publish: (events: TicketEvent[]) => void
}

export type OperationResult<R extends z.ZodType> =
  | { body: z.input<R>; headers?: Record<string, string> }
  /**
   * The body already serialized, for a list whose JSON PostgreSQL writes (tickets). It must match
   * the response schema: the contract tests validate every operation's answer against the spec.
   */
  | { json: string; headers?: Record<string, string> }

/** Defines an operation with its types inferred from its schemas. */
export function operation<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
  op: Operation<P, Q, B, R>,
) {
  return op as unknown as Operation
}

/** What an Idempotency-Key may be: 1 to 255 visible ASCII characters (its OpenAPI pattern too). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/
/** How long a duplicate waits for the first request with its Idempotency-Key to finish. */
const IDEMPOTENCY_WAIT_MS = 3_000
/** Response headers replayed with an idempotent response. */
const REPLAYED_HEADERS = ['location']

/** The loader and action of an API resource route: each method goes to its operation. */
export function apiRoute(operations: Operation[]) {
  const handle = ({ request, params, context }: LoaderFunctionArgs | ActionFunctionArgs) =>
    runOperation(operations, request, params, context)
  // Read for the resource's Allow (app/http/resource-methods.server.ts: OPTIONS, other 405s).
  const marked = Object.assign(handle, { methods: operations.map((o) => o.method) })
  return { loader: marked, action: marked }
}

async function runOperation(
  operations: Operation[],
  request: Request,
  rawParams: Record<string, string | undefined>,
  context: AppLoadContext,
): Promise<Response> {
  const method = request.method === 'HEAD' ? 'GET' : request.method
  const op = operations.find((o) => o.method === method)
  if (!op) return methodNotAllowed(operations.map((o) => o.method))
  const rateHeaders = new Headers()
  try {
    const { principal, slot } = await authenticateApiRequest(request, context.clientIp)
    applyRateLimit(slot, rateHeaders)
    requireScope(principal, op.scope)
    // Before idempotently(): a creator demoted since must not get the stored answer replayed.
    if (op.role) requireApiRole(principal, op.role)
    const url = new URL(request.url)
    const params = parseParams(op, rawParams)
    const query = parseOrThrow(
      op.query ?? z.strictObject({}),
      checkedInput(singleValuedQuery(url.searchParams)),
    )
    const { bodyText, body } = await readBody(op, request)
    const run = async () => {
      const result = await op.handle({
        principal,
        params,
        query,
        body,
        url,
        publish: (events) => context.realtime.publish(events),
      })
      return new Response('json' in result ? result.json : JSON.stringify(result.body), {
        status: op.response.status,
        headers: { 'content-type': 'application/json; charset=utf-8', ...result.headers },
      })
    }
    const key = request.headers.get('idempotency-key')
    const response =
      method === 'POST' && key !== null
        ? await idempotently(principal, key, requestFingerprint(method, url.pathname, bodyText), run)
        : await run()
    return withHeaders(response, rateHeaders)
  } catch (thrown) {
    return withHeaders(toProblem(thrown, context, request), rateHeaders)
  }
}

function applyRateLimit(slot: ApiSlotAnswer, headers: Headers) {
  for (const [name, value] of Object.entries(slot.headers)) headers.set(name, value)
  if (!slot.allowed) {
    throw problem(
      'rate-limited',
      `At most ${slot.max} requests per minute per token. Retry after ${slot.resetSeconds} s.`,
      { headers: { 'retry-after': slot.retryAfter } },
    )
  }
}

/** A path parameter that fails its schema names nothing that exists: 404, as in the UI. */
function parseParams(op: Operation, raw: Record<string, string | undefined>) {
  if (!op.params) return {}
  const parsed = op.params.safeParse(raw)
  if (!parsed.success || !canonicalNumbers(parsed.data as Record<string, unknown>, raw)) {
    throw problem('not-found', 'No such resource.')
  }
  return parsed.data
}

/**
 * A path segment read as a number is that number's own spelling: coercion alone would also take
 * `0x10`, `+16`, `016`, ` 16` and `1e1` as ticket 16 or 10, so one resource had many URLs.
 */
function canonicalNumbers(parsed: Record<string, unknown>, raw: Record<string, string | undefined>) {
  return Object.entries(parsed).every(
    ([name, value]) => typeof value !== 'number' || String(value) === raw[name],
  )
}

function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw validationProblem(fieldErrors(parsed.error.issues))
  return parsed.data
}

export function fieldErrors(issues: readonly $ZodIssue[]): FieldError[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map(String)
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...path, key].join('.'), message: 'Unknown field' }))
    }
    return [{ field: path.join('.'), message: issue.message }]
  })
}

/**
 * An operation that takes no body (rotate-secret, redeliver, DELETE) takes none or `{}`: a body
 * it would not read is refused as one it reads would be (415, 400 naming each field), not
 * ignored, and what is sent is part of the Idempotency-Key's fingerprint.
 */

async function readBody(op: Operation, request: Request) {
  if (op.body) {
    const bodyText = await readJsonText(request)
    return { bodyText, body: parseOrThrow(op.body, parseJson(bodyText)) as unknown }
  }
  if (op.method === 'GET' || !request.body) return { bodyText: '', body: undefined }
  const bytes = new Uint8Array(await request.arrayBuffer())
  if (bytes.byteLength === 0) return { bodyText: '', body: undefined }
  refuseNonJson(request)
  const bodyText = decodeUtf8(bytes)
  parseOrThrow(EmptyBody, parseJson(bodyText))
  return { bodyText, body: undefined }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The body as text, after checking it is JSON in UTF-8 without a content coding (415 otherwise,
 * see jsonBodyRefusal), and 400 for bytes that are not UTF-8 (they were read as U+FFFD and
 * stored). Its size is capped by bodyLimit.
 */
async function readJsonText(request: Request) {
  refuseNonJson(request)
  return decodeUtf8(await request.arrayBuffer())
}

function refuseNonJson(request: Request) {
  const refusal = jsonBodyRefusal(
    request.headers.get('content-type'),
    request.headers.get('content-encoding'),
  )
  if (refusal !== undefined) throw problem('unsupported-media-type', refusal)
}

function decodeUtf8(bytes: ArrayBuffer | Uint8Array) {
  try {
    return UTF8.decode(bytes)
  } catch {
    throw problem('bad-request', 'The body is not valid UTF-8.')
  }
}

function parseJson(text: string): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw problem('bad-request', 'The body is not valid JSON.')
  }
  return checkedInput(value)
}

/**
 * The query string as one value per name. No parameter takes a list, so a name given twice
 * (`status=open&status=closed`) is refused rather than the last one silently winning.
 */
function singleValuedQuery(params: URLSearchParams) {
  const repeated = [...new Set(params.keys())].filter((name) => params.getAll(name).length > 1)
  if (repeated.length > 0) {
    throw validationProblem(repeated.map((field) => ({ field, message: 'Give this parameter once' })))
  }
  return Object.fromEntries(params)
}

/** Parsed input (a body, a query string) without NUL, lone surrogates or deep nesting (see json-input). */
function checkedInput(value: unknown) {
  const checked = checkJsonInput(value)
  if ('value' in checked) return checked.value
  const { kind, field, message } = checked.problem
  if (kind === 'depth') throw problem('bad-request', `The body ${message.toLowerCase()}.`)
  throw validationProblem([{ field, message }])
}

/**
 * Runs `run` once per (token, Idempotency-Key): a replay of the stored response, 422 for the key
 * reused with another request, and for a duplicate arriving while the first still runs, a short
 * wait for its response, then 409 (retry later).
 */
async function idempotently(
  principal: ApiPrincipal,
  key: string,
  fingerprint: string,
  run: () => Promise<Response>,
): Promise<Response> {
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw validationProblem([
      {
        field: 'Idempotency-Key',
        message: 'Send one Idempotency-Key header of 1 to 255 visible ASCII characters (a UUID is ideal)',
      },
    ])
  }
  const deadline = Date.now() + IDEMPOTENCY_WAIT_MS
  let pause = 25
  for (;;) {
    const claim = await claimIdempotencyKey(principal.tokenId, key, fingerprint)
    if (claim.kind === 'mismatch') {
      throw problem('idempotency-key-reused', 'This Idempotency-Key was used with another request.')
    }
    if (claim.kind === 'replay') {
      return new Response(claim.response.body, {
        status: claim.response.status,
        headers: { ...claim.response.headers, 'idempotent-replayed': 'true' },
      })
    }
    if (claim.kind === 'claimed') break
    if (Date.now() >= deadline) {
      throw problem('idempotency-in-progress', 'A request with this Idempotency-Key is still running.', {
        headers: { 'retry-after': '1' },
      })
    }
    await new Promise((resolve) => setTimeout(resolve, pause))
    pause = Math.min(pause * 2, 200)
  }
  let response: Response
  try {
    response = await run()
  } catch (thrown) {
    // A problem the client can fix (404, 409, 422…) is the answer to this request: keep it.
    if (thrown instanceof Response && thrown.status < 500) response = thrown
    else {
      await releaseIdempotencyKey(principal.tokenId, key)
      throw thrown
    }
  }
  // A 429 (the workspace's email limit) is for now, not the request's answer: the same key sent
  // again after Retry-After runs it, as after a 5xx.
  if (response.status >= 500 || response.status === 429) {
    await releaseIdempotencyKey(principal.tokenId, key)
    return response
  }
  const body = await response.text()
  const headers: Record<string, string> = { 'content-type': response.headers.get('content-type') ?? '' }
  for (const name of REPLAYED_HEADERS) {
    const value = response.headers.get(name)
    if (value) headers[name] = value
  }
  await completeIdempotencyKey(principal.tokenId, key, { status: response.status, body, headers })
  return new Response(body, { status: response.status, headers: response.headers })
}

/** Every failure as problem+json: our problems pass through, the domain's 403/404 are wrapped. */
function toProblem(thrown: unknown, context: AppLoadContext, request: Request): Response {
  if (thrown instanceof Response) {
    if (thrown.headers.get('content-type') === PROBLEM_CONTENT_TYPE) return thrown
    if (thrown.status === 404) return problem('not-found', 'No such resource.')
    if (thrown.status === 403) return problem('forbidden', 'The token’s creator may not do that.')
    if (thrown.status === 413) return problem('payload-too-large', 'The body is too large.')
  }
  if (isDatabaseUnavailable(thrown)) {
    logger().warn({ reqId: context.requestId }, 'api: database unavailable')
    return problem('unavailable', 'The service is temporarily unavailable, try again in a moment.', {
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    })
  }
  logger().error(
    { err: thrown, reqId: context.requestId, method: request.method },
    'unhandled error in API operation',
  )
  return problem('internal', 'Something went wrong on our side. The request id is in X-Request-Id.')
}

function withHeaders(response: Response, extra: Headers) {
  for (const [name, value] of extra) response.headers.set(name, value)
  return response
}
