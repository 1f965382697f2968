import type { ActionFunctionArgs, AppLoadContext, LoaderFunctionArgs } from '@remix-run/node'
import { unpackRows, type PackedRow } from '#app/components/queue/row-pack.ts'

/** What a route returned, normalized: thrown and returned Responses, and single-fetch data(). */
export type RouteResult = { status: number; headers: Headers; data: any; location: string | null }

export type RealtimeCalls = {
  disconnected: string[]
  removed: Array<[string, string]>
  published?: Array<{ type: string; [key: string]: unknown }>
  joined?: Array<[string, string]>
  roles?: Array<[string, string, string]>
}

export function testContext(calls: RealtimeCalls = { disconnected: [], removed: [] }): AppLoadContext {
  return {
    cspNonce: 'test-nonce',
    requestId: 'test-request',
    clientIp: '203.0.113.7',
    realtime: {
      publish: (events) => calls.published?.push(...events),
      disconnectSessions: (ids) => calls.disconnected.push(...ids),
      removeFromWorkspace: (userId, workspaceId) => calls.removed.push([userId, workspaceId]),
      joinWorkspace: (userId, workspaceId) => calls.joined?.push([userId, workspaceId]),
      changeRole: (userId, workspaceId, role) => calls.roles?.push([userId, workspaceId, role]),
    },
  }
}

async function normalize(run: () => Promise<unknown>): Promise<RouteResult> {
  let value: unknown
  try {
    value = await run()
  } catch (thrown) {
    if (!(thrown instanceof Response)) throw thrown
    value = thrown
  }
  if (value instanceof Response) {
    const text = await value.text()
    return {
      status: value.status,
      headers: value.headers,
      data: text,
      location: value.headers.get('location'),
    }
  }
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'DataWithResponseInit') {
    const d = value as { data: unknown; init?: ResponseInit }
    return {
      status: d.init?.status ?? 200,
      headers: new Headers(d.init?.headers),
      data: d.data,
      location: null,
    }
  }
  return { status: 200, headers: new Headers(), data: value, location: null }
}

/** A result whose Response carried JSON (a resource route's `Response.json`), with `data` parsed. */
export function withJson(result: RouteResult): RouteResult {
  const json = result.headers.get('content-type')?.includes('application/json')
  return json && typeof result.data === 'string' ? { ...result, data: JSON.parse(result.data) } : result
}

type Route = {
  loader?: (args: LoaderFunctionArgs) => unknown
  action?: (args: ActionFunctionArgs) => unknown
}

type CallOptions = {
  params?: Record<string, string>
  cookie?: string
  context?: AppLoadContext
  headers?: Record<string, string>
}

export function callLoader(route: Route, path: string, options: CallOptions = {}) {
  const request = new Request(`http://localhost:3000${path}`, {
    headers: { ...(options.cookie ? { cookie: options.cookie } : {}), ...options.headers },
  })
  return normalize(async () =>
    route.loader!({ request, params: options.params ?? {}, context: options.context ?? testContext() }),
  )
}

/**
 * Posts a form: url-encoded from a record or from [name, value] pairs (a name may repeat, as
 * checkboxes do), or multipart (files included) from a FormData.
 */
export function callAction(
  route: Route,
  path: string,
  form: Record<string, string> | Array<[string, string]> | FormData,
  options: CallOptions = {},
) {
  const multipart = form instanceof FormData
  const request = new Request(`http://localhost:3000${path}`, {
    method: 'POST',
    body: multipart ? form : new URLSearchParams(form),
    headers: {
      // A FormData body sets its own multipart content type with the boundary.
      ...(multipart ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
      ...(options.cookie ? { cookie: options.cookie } : {}),
      ...options.headers,
    },
  })
  return normalize(async () =>
    route.action!({ request, params: options.params ?? {}, context: options.context ?? testContext() }),
  )
}

/** The session cookie (name=value) from a Set-Cookie header. */
export function cookieFrom(result: RouteResult) {
  const setCookie = result.headers.get('set-cookie')
  return setCookie ? setCookie.split(';')[0] : undefined
}

/** The rows of an inbox loader's result (the loader sends them as one JSON text, packed). */
export function inboxRows(result: RouteResult): any[] {
  const rows: unknown = result.data.page.rows
  if (typeof rows !== 'string') throw new Error(`the inbox's rows are not JSON text: ${typeof rows}`)
  return unpackRows(JSON.parse(rows) as PackedRow[])
}
