import type { Realtime } from '#app/realtime/hub.server.ts'

declare module '@remix-run/node' {
  interface AppLoadContext {
    /** Per-request CSP nonce, used by Remix's scripts. */
    cspNonce: string
    requestId: string
    /** The client's address as Express sees it (trusting only the proxies TRUST_PROXY names). */
    clientIp: string
    realtime: Realtime
    /** The database failed before Remix ran (in a middleware): loaders and actions answer 503 at once. */
    databaseUnavailable?: boolean
    /** A page's post over the body limit, its body unread: every action answers 413 (body-too-large.server.ts). */
    bodyTooLarge?: boolean
    /** A `….data` request (Remix single fetch): loaders and actions may not answer it with a file. */
    dataRequest?: boolean
    /** A `.data` request's loader or action answered with this Retry-After (data-requests.server.ts). */
    answeredRetryAfter?: string
    /** Render the page with renderToPipeableStream even when it could be rendered at once (tests compare the two). */
    streamedPage?: boolean
  }
}

export {}
