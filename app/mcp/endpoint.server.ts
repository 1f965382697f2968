import { requireBearerAuth } from '@modelcontextprotocol/express'
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node'
import { OAuthError, OAuthErrorCode, type AuthInfo } from '@modelcontextprotocol/server'
import { isUtf8 } from 'node:buffer'
import { STATUS_CODES } from 'node:http'
import express, { type NextFunction, type Request, type Response } from 'express'
import { verifyApiTokenAndTakeSlot, type ApiPrincipal } from '#app/domain/api-tokens.server.ts'
import { apiSlotAnswer, apiTokenLimit, type ApiSlotAnswer } from '#app/api/token-limit.server.ts'
import { checkJsonInput, jsonBodyRefusal } from '#app/http/json-input.server.ts'
import { clientErrorStatus, sendRpcError } from '#app/http/refusal.server.ts'
import { logger } from '#app/logger.server.ts'
import { realtime } from '#app/realtime/hub.server.ts'
import { createMcpServer } from './tools.server.ts'

/**
 * `/mcp`: the Model Context Protocol over Streamable HTTP (the official v2 SDK), stateless (a
 * server and transport per POST, JSON responses, no session), authenticated with the API's
 * personal access tokens through the SDK's bearer middleware: 401 + WWW-Authenticate without a
 * valid token, and the tools check each operation's scope. Mounted before Remix in
 * app/http/app.server.ts; exempt from the origin check like /api (a Bearer token, no cookie).
 */
export const MCP_PATH = '/mcp'

/**
 * The SDK's bearer helper refuses a token without an expiry. Ours may have none: those report
 * this much ahead (checked again on every request, so a revocation still takes effect at once).
 */
const SYNTHETIC_EXPIRY_SECONDS = 3600

/**
 * Verifies an sb_pat_ token for the SDK and takes its rate-limit slot in the same statement, as
 * the REST API does (verifyApiTokenAndTakeSlot): the principal and the slot ride along in
 * AuthInfo.extra, and rateLimit answers 429 when the slot was refused. A token that is not usable
 * takes no slot.
 */
function verifierFor(clientIp: string) {
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const limit = apiTokenLimit()
      const { check, slot, expiresAt } = await verifyApiTokenAndTakeSlot(token, clientIp, limit)
      if (check.kind !== 'ok' || !slot) {
        throw new OAuthError(OAuthErrorCode.InvalidToken, 'The API token is invalid, expired or revoked.')
      }
      return {
        token,
        clientId: check.principal.tokenId,
        scopes: check.principal.scopes,
        expiresAt: expiresAt
          ? Math.floor(expiresAt.getTime() / 1000)
          : Math.floor(Date.now() / 1000) + SYNTHETIC_EXPIRY_SECONDS,
        extra: { principal: check.principal, slot: apiSlotAnswer(slot, limit.max) },
      }
    },
  }
}

function authenticate(req: Request, res: Response, next: NextFunction) {
  return requireBearerAuth({ verifier: verifierFor(req.ip ?? '') })(req, res, next)
}

/** The API's per-token limit, shared: a token's REST and MCP requests count together. */
function rateLimit(req: Request, res: Response, next: NextFunction) {
  const slot = req.auth?.extra?.slot as ApiSlotAnswer
  for (const [name, value] of Object.entries(slot.headers)) res.setHeader(name, value)
  if (slot.allowed) return next()
  res.setHeader('retry-after', slot.retryAfter)
  sendRpcError(res, 429, 'Too many requests')
}

async function handle(req: Request, res: Response) {
  const principal = req.auth?.extra?.principal as ApiPrincipal
  const server = createMcpServer({
    principal,
    publish: (events) => {
      if (events.length > 0) realtime().publish(events)
    },
  })
  const transport = new NodeStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  })
  res.on('close', () => {
    void transport.close()
    void server.close()
  })
  await server.connect(transport)
  await transport.handleRequest(req, res, req.body)
}

/** Stateless: no server-initiated stream (GET) and no session to end (DELETE). */
function methodNotAllowed(_req: Request, res: Response) {
  res.setHeader('allow', 'POST')
  sendRpcError(res, 405, 'Method not allowed: use POST')
}

/** A JSON-RPC error answer for a request that never reached the server (`id` null: unknown). */
function rpcError(res: Response, status: number, code: number, message: string, id: unknown = null) {
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id })
}

/**
 * The body as the REST API takes it (json-input's jsonBodyRefusal): application/json in UTF-8
 * and no Content-Encoding. body-parser alone would decode UTF-16 and inflate gzip, and take
 * bytes that are not UTF-8 with U+FFFD in their place.
 */
function refuseUnreadableBody(req: Request, res: Response, next: NextFunction) {
  const refusal = jsonBodyRefusal(req.get('content-type'), req.get('content-encoding'))
  if (refusal === undefined) return next()
  logger().info({ status: 415, reqId: res.locals.requestId }, 'MCP request refused')
  sendRpcError(res, 415, `Invalid Request: ${refusal}`)
}

/** body-parser's `verify`: bytes that are not UTF-8 are refused, not decoded with U+FFFD. */
function requireUtf8(_req: unknown, _res: unknown, bytes: Buffer) {
  if (!isUtf8(bytes)) throw Object.assign(new Error('not UTF-8'), { status: 400, type: 'charset.invalid' })
}

/** The request's JSON-RPC id, when the body is a single request that has a usable one. */
function idOf(body: unknown) {
  const id = (body as { id?: unknown } | null)?.id
  return typeof id === 'string' || typeof id === 'number' ? id : null
}

/**
 * One JSON-RPC message per POST. A batch (an array of messages) would run every message on the
 * one rate-limit slot its request took: 100 `tools/call`s for one slot, 60,000 tool calls a minute
 * on a 600/min token. MCP 2025-06-18 dropped batching (only 2025-03-26 had it), no SDK client sends
 * one, and the SDK refuses them itself on its modern-only path with the same error; we refuse them
 * on every protocol version, before any message runs.
 */
function refuseBatch(req: Request, res: Response, next: NextFunction) {
  if (!Array.isArray(req.body)) return next()
  logger().info({ status: 400, messages: req.body.length, reqId: res.locals.requestId }, 'MCP batch refused')
  rpcError(res, 400, -32600, 'Invalid Request: JSON-RPC batches are not supported by this endpoint')
}

/**
 * What JSON-RPC 2.0 and MCP call an Invalid Request (-32600): valid JSON that is not a request, a
 * notification or a response. `jsonrpc` exactly "2.0"; a `method` a string; an `id` a string or an
 * integer (MCP: never null) when there is one, which a request must have and a notification must
 * not; a message without `method` is a response (`result` or `error`) to something the server
 * asked. The SDK answered every one of these with -32700 Parse error, which tells a client's
 * developer their JSON is broken when it is not.
 */
export function invalidRequest(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return 'the message is not a JSON object'
  const message = body as Record<string, unknown>
  if (message.jsonrpc !== '2.0') return '"jsonrpc" must be "2.0"'
  const hasId = Object.hasOwn(message, 'id')
  if (hasId && !(typeof message.id === 'string' || Number.isInteger(message.id))) {
    return '"id" must be a string or an integer'
  }
  if (Object.hasOwn(message, 'method')) {
    if (typeof message.method !== 'string' || message.method === '')
      return '"method" must be a non-empty string'
    return undefined
  }
  if (!hasId || !(Object.hasOwn(message, 'result') || Object.hasOwn(message, 'error'))) {
    return 'a message needs a "method" (a request or notification) or an "id" with "result" or "error" (a response)'
  }
  return undefined
}

function refuseInvalidRequest(req: Request, res: Response, next: NextFunction) {
  const problem = invalidRequest(req.body)
  if (problem === undefined) return next()
  logger().info({ status: 400, reqId: res.locals.requestId }, 'MCP invalid request refused')
  const id = idOf(req.body)
  // An id the message may not have is not one to answer with (1.5, an object, null).
  rpcError(
    res,
    400,
    -32600,
    `Invalid Request: ${problem}`,
    typeof id === 'number' && !Number.isInteger(id) ? null : id,
  )
}

/**
 * The parsed body without NUL characters, lone surrogates or deep nesting (json-input): a tool's
 * arguments reach SQL, where NUL fails a statement and a lone surrogate fails a jsonb audit row.
 */
function checkBody(req: Request, res: Response, next: NextFunction) {
  const checked = checkJsonInput(req.body)
  if ('value' in checked) {
    req.body = checked.value
    return next()
  }
  const { kind, field, message } = checked.problem
  if (kind === 'depth') return rpcError(res, 400, -32600, `Invalid Request: ${message.toLowerCase()}`)
  rpcError(
    res,
    400,
    -32602,
    `Invalid params: ${field || 'the request'}: ${message.toLowerCase()}`,
    idOf(req.body),
  )
}

export function mcpEndpoint() {
  const router = express.Router()
  router.post(
    MCP_PATH,
    // Who is asking first: nobody's body is parsed without a valid token.
    authenticate,
    rateLimit,
    refuseUnreadableBody,
    express.json({ limit: '1mb', inflate: false, type: () => true, verify: requireUtf8 }),
    refuseBatch,
    refuseInvalidRequest,
    checkBody,
    (req, res, next) => void handle(req, res).catch(next),
  )
  router.all(MCP_PATH, methodNotAllowed)
  router.use(MCP_PATH, (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error)
    // A client's mistake as body-parser reports it (an http-error with a 4xx status): malformed
    // JSON, an unknown Content-Encoding or charset, a body over the limit, an aborted upload.
    const status = clientErrorStatus(error)
    if (status !== undefined) {
      const type = (error as { type?: unknown }).type
      logger().info({ status, type, reqId: res.locals.requestId }, 'MCP request refused')
      if (type === 'entity.parse.failed')
        return rpcError(res, 400, -32700, 'Parse error: the body is not a JSON object or array')
      if (type === 'charset.invalid') return rpcError(res, 400, -32700, 'Parse error: the body is not UTF-8')
      return rpcError(res, status, -32600, `Invalid Request: ${STATUS_CODES[status] ?? 'refused'}`)
    }
    logger().error({ err: error, reqId: res.locals.requestId, path: req.path }, 'MCP request failed')
    rpcError(res, 500, -32603, 'Internal error')
  })
  return router
}
