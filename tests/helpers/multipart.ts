import type { ActionFunctionArgs, AppLoadContext } from '@remix-run/node'
import type { RouteResult } from './routes.ts'
import { testContext } from './routes.ts'

/** A file part for a multipart form post. */
export function file(name: string, content: string | Uint8Array<ArrayBuffer>, type = 'text/plain') {
  return new File([content], name, { type })
}

/** Posts a multipart/form-data form (fields and `files`) to a route's action, as a browser without JS would. */
export async function callMultipartAction(
  route: { action?: (args: ActionFunctionArgs) => unknown },
  path: string,
  fields: Record<string, string>,
  files: File[] = [],
  options: { params?: Record<string, string>; context?: AppLoadContext } = {},
): Promise<RouteResult> {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  for (const f of files) form.append('files', f)
  const request = new Request(`http://localhost:3000${path}`, { method: 'POST', body: form })
  let value: unknown
  try {
    value = await route.action!({
      request,
      params: options.params ?? {},
      context: options.context ?? testContext(),
    })
  } catch (thrown) {
    if (!(thrown instanceof Response)) throw thrown
    value = thrown
  }
  if (value instanceof Response) {
    return {
      status: value.status,
      headers: value.headers,
      data: await value.text(),
      location: value.headers.get('location'),
    }
  }
  const d = value as { type?: string; data: unknown; init?: ResponseInit }
  if (d && d.type === 'DataWithResponseInit') {
    return {
      status: d.init?.status ?? 200,
      headers: new Headers(d.init?.headers),
      data: d.data,
      location: null,
    }
  }
  return { status: 200, headers: new Headers(), data: value, location: null }
}
