import path from 'node:path'
import type { ServerBuild } from '@remix-run/node'
import compression from 'compression'
import express, { type ErrorRequestHandler } from 'express'
import { apiDispatch } from '#app/api/dispatch.server.ts'
import { loggablePath, logger } from '#app/logger.server.ts'
import { env } from '#app/env.server.ts'
import { realtime } from '#app/realtime/hub.server.ts'
import {
  isDatabaseUnavailable,
  logDatabaseUnavailable,
  RETRY_AFTER_SECONDS,
  UNAVAILABLE_MESSAGE,
  withDatabaseOutagePages,
} from './database-outage.server.ts'
import { healthz, readyz } from './health.server.ts'
import { withDataRequestGuard } from './data-requests.server.ts'
import { emailFrameHeaders } from './email-frame.server.ts'
import { sendgridWebhooks } from './inbound.server.ts'
import { remixRequestHandler } from './remix-adapter.server.ts'
import { requestLog } from './request-log.server.ts'
import { clientErrorStatus, refuse, refuseWithStatus } from './refusal.server.ts'
import { requestHeadSize } from './request-head.server.ts'
import { requestScope } from './request-scope.server.ts'
import { discardUnreadBody } from './unread-body.server.ts'
import { bodyDeadline } from './body-deadline.server.ts'
import { isBodyTooLarge, withBodyTooLargePages } from './body-too-large.server.ts'
import { requestMethod, requestTarget } from './request-target.server.ts'
import { singleAuthorization } from './single-authorization.server.ts'
import { bodyLimit, hostCheck, noStoreByDefault, originCheck, securityHeaders } from './security.server.ts'
import { sessionRenewal } from './session-renewal.server.ts'
import { singleFetchLoaders } from './single-fetch-loaders.server.ts'

export const FORM_BODY_LIMIT = 1024 * 1024
/** Forms that carry attachments (25 MB of files plus the text fields and multipart framing). */
export const UPLOAD_ROUTES = [
  // With JavaScript, Remix single fetch posts to the same path plus `.data`.
  { path: /^\/w\/[^/]+\/tickets\/(\d+|new)(\.data)?$/, maxBytes: 27 * 1024 * 1024 },
  { path: /^\/support\//, maxBytes: 27 * 1024 * 1024 },
]

type Options = {
  appOrigin: string
  /** The local profile also answers to localhost/127.0.0.1/[::1]; production gets HSTS on https. */
  appEnv: 'local' | 'production'
  dev: boolean
  /** Which proxies may set X-Forwarded-For (TRUST_PROXY). */
  trustProxy?: string | number
  /** Production: the built client assets folder. Development: Vite's middleware. */
  clientDir?: string
  viteMiddleware?: express.RequestHandler
  build: ServerBuild | (() => Promise<ServerBuild>)
  /** GET `.data` requests without Remix's request handler (default; false only to compare with it). */
  leanDataRequests?: boolean
  /** Pages rendered by React's streaming renderer even when they could be rendered at once (only to compare the two). */
  streamedPages?: boolean
}

/** The plain-text 503 of a database outage, where no page can be rendered. */
function sendUnavailable(res: express.Response) {
  res.status(503).set('Retry-After', String(RETRY_AFTER_SECONDS)).type('text/plain').send(UNAVAILABLE_MESSAGE)
}

/**
 * The MCP SDK is ~11 MB of heap that an instance nobody connects an agent to never needs: it is
 * imported with the first request to /mcp (its own chunk of the build), not at start-up.
 */
function lazyMcpEndpoint(): express.RequestHandler {
  let endpoint: Promise<express.RequestHandler> | undefined
  return (req, res, next) => {
    if (!/^\/mcp\/?$/i.test(req.path)) return next()
    endpoint ??= import('#app/mcp/endpoint.server.ts').then((m) => m.mcpEndpoint())
    endpoint.then(
      (handler) => handler(req, res, next),
      (error: unknown) => {
        endpoint = undefined
        next(error)
      },
    )
  }
}

/** The Express app: health checks, hardening, static assets, then Remix. */
export function createApp(options: Options) {
  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', options.trustProxy ?? 'loopback')
  app.use(requestLog())
  app.use(requestScope())
  app.use(discardUnreadBody())
  app.use(bodyDeadline(() => env().http.bodyTimeoutMs))
  const site = { appOrigin: options.appOrigin, local: options.appEnv === 'local' }
  const hsts = options.appEnv === 'production' && options.appOrigin.startsWith('https:')
  app.use(securityHeaders(options.dev, hsts))
  // A customer email's frame gets its own CSP (no scripts, remote images on request).
  app.use(emailFrameHeaders())
  // A request line and headers over 16 KB: 414 or 431 with a body (Node's own was bare).
  app.use(requestHeadSize())
  app.use(requestTarget())
  const build = options.build
  app.use(requestMethod(typeof build === 'function' ? build : () => build))
  // Probed by load balancers and orchestrators with whatever Host they like (a pod address):
  // exactly these two paths answer before the Host check. They reveal nothing but up/ready.
  app.get('/healthz', healthz)
  app.get('/readyz', readyz)
  app.use(hostCheck(site))
  app.use(originCheck(site))
  app.use(singleAuthorization())
  // SendGrid's webhooks read their bodies raw, with their own limits (35 MB for Inbound Parse).
  app.use(sendgridWebhooks())
  app.use(bodyLimit(FORM_BODY_LIMIT, UPLOAD_ROUTES))
  if (options.viteMiddleware) app.use(options.viteMiddleware)
  if (options.clientDir) {
    // Hashed, cacheable assets are compressed; HTML is streamed uncompressed (compressing the
    // stream cost ~20% throughput here; put a compressing proxy in front if the network is slow).
    app.use(
      '/assets',
      compression(),
      express.static(path.join(options.clientDir, 'assets'), { immutable: true, maxAge: '1y', index: false }),
    )
    // Other public files (favicon…) only for paths with an extension: no disk lookup for pages,
    // nor for Remix's single-fetch data requests (`….data`, the queue's every navigation).
    const publicFiles = express.static(options.clientDir, { maxAge: '1h', index: false })
    const isPublicFile = (p: string) => /\.[a-z0-9]+$/i.test(p) && !p.endsWith('.data')
    app.use((req, res, next) => (isPublicFile(req.path) ? publicFiles(req, res, next) : next()))
  }
  // Everything below answers one requester: not to be kept by a browser or a shared cache.
  app.use(noStoreByDefault())
  // POST /mcp: the MCP server (Bearer API tokens, no cookie), before Remix and session renewal.
  app.use(lazyMcpEndpoint())
  app.use(sessionRenewal())
  const guard = (b: ServerBuild) => withDataRequestGuard(withBodyTooLargePages(withDatabaseOutagePages(b)))
  const guarded = typeof build === 'function' ? () => build().then(guard) : guard(build)
  const getLoadContext = (req: express.Request, res: express.Response) => ({
    cspNonce: res.locals.cspNonce as string,
    requestId: res.locals.requestId as string,
    clientIp: req.ip ?? 'unknown',
    realtime: realtime(),
    databaseUnavailable: res.locals.databaseUnavailable === true,
    bodyTooLarge: isBodyTooLarge(res),
    // Remix's single fetch (see data-requests.server.ts).
    dataRequest: req.path.endsWith('.data'),
    ...(options.streamedPages ? { streamedPage: true } : {}),
  })
  // @remix-run/express's handler, leaner (see the module).
  const remix = remixRequestHandler({
    build: guarded,
    mode: options.dev ? 'development' : 'production',
    getLoadContext,
  })
  // The /api/v1 resource routes' own loaders and actions, without Remix's router (see the module).
  app.use(apiDispatch({ build: typeof guarded === 'function' ? guarded : () => guarded, getLoadContext }))
  // GET `.data` requests: Remix's own single-fetch code without its request handler's other layers.
  if (typeof guarded !== 'function' && options.leanDataRequests !== false)
    app.use(singleFetchLoaders({ build: guarded, getLoadContext }))
  app.all('*', remix)
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    if (isDatabaseUnavailable(error) && !res.headersSent) {
      // A middleware before Remix (session renewal) met the outage: Remix still renders the page,
      // as the 503 page (or its `.data` equivalent), without trying the database again.
      logDatabaseUnavailable(error, res.locals.requestId as string | undefined, req.path)
      if (res.locals.databaseUnavailable === true || req.path.startsWith('/assets/')) {
        sendUnavailable(res)
        return
      }
      res.locals.databaseUnavailable = true
      void remix(req, res, (renderError?: unknown) => {
        logger().error({ err: renderError, reqId: res.locals.requestId }, 'unhandled error')
        if (!res.headersSent) sendUnavailable(res)
      })
      return
    }
    const status = clientErrorStatus(error)
    if (status !== undefined) {
      // A client's mistake that a library reported as an http-error (express.static's `send`:
      // 416 for a Range past the end, 412 for a failed precondition…): answered with its status,
      // not as a failure of ours.
      logger().info(
        { status, reqId: res.locals.requestId, path: loggablePath(req.originalUrl) },
        'request refused',
      )
      if (!res.headersSent) refuseWithStatus(res, req.path, status)
      return
    }
    logger().error({ err: error, reqId: res.locals.requestId }, 'unhandled error')
    if (!res.headersSent) refuse(res, req.path, 'internal', 'Internal Server Error')
  }
  app.use(onError)
  return app
}
