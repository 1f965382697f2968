import { requireBearerAuth } from '@modelcontextprotocol/express'
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node'
import { OAuthError, OAuthErrorCode, type AuthInfo } from '@modelcontextprotocol/server'
import { eq } from 'drizzle-orm'
import express, { type NextFunction, type Request, type Response } from 'express'
import { getDb } from '#db/client.ts'
import { apiTokens } from '#db/schema.ts'
import { verifyApiToken, type ApiPrincipal } from '#app/domain/api-tokens.server.ts'
import { takeApiTokenSlot } from '#app/api/token-limit.server.ts'
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

/** Verifies an sb_pat_ token for the SDK; the principal rides along in AuthInfo.extra. */
function verifierFor(clientIp: string) {
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const check = await verifyApiToken(token, clientIp)
      if (check.kind !== 'ok') {
        throw new OAuthError(OAuthErrorCode.InvalidToken, 'The API token is invalid, expired or revoked.')
      }
      const [row] = await getDb()
        .select({ expiresAt: apiTokens.expiresAt })
        .from(apiTokens)
        .where(eq(apiTokens.id, check.principal.tokenId))
      const expiresAt = row?.expiresAt
        ? Math.floor(row.expiresAt.getTime() / 1000)
        : Math.floor(Date.now() / 1000) + SYNTHETIC_EXPIRY_SECONDS
      return {
        token,
        clientId: check.principal.tokenId,
        scopes: check.principal.scopes,
        expiresAt,
        extra: { principal: check.principal },
      }
    },
  }
}

function authenticate(req: Request, res: Response, next: NextFunction) {
  return requireBearerAuth({ verifier: verifierFor(req.ip ?? '') })(req, res, next)
}

/** The API's per-token limit, shared: a token's REST and MCP requests count together. */
async function rateLimit(req: Request, res: Response, next: NextFunction) {
  const principal = req.auth?.extra?.principal as ApiPrincipal
  const slot = await takeApiTokenSlot(principal.tokenId)
  for (const [name, value] of Object.entries(slot.headers)) res.setHeader(name, value)
  if (slot.allowed) return next()
  res.setHeader('retry-after', slot.retryAfter)
  res.status(429).json({ jsonrpc: '2.0', error: { code: -32000, message: 'Too many requests' }, id: null })
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
  res
    .status(405)
    .json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: use POST' }, id: null })
}

export function mcpEndpoint() {
  const router = express.Router()
  router.post(
    MCP_PATH,
    express.json({ limit: '1mb' }),
    authenticate,
    (req, res, next) => void rateLimit(req, res, next).catch(next),
    (req, res, next) => void handle(req, res).catch(next),
  )
  router.all(MCP_PATH, methodNotAllowed)
  router.use(MCP_PATH, (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error)
    logger().error({ err: error }, 'MCP request failed')
    res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null })
  })
  return router
}
