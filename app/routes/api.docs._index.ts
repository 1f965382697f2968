import type { LoaderFunctionArgs } from '@remix-run/node'
import { referencePage } from '#app/api/reference.server.ts'

/** The interactive API reference (swagger-ui, from our origin, under the app's CSP). */
export function loader({ context }: LoaderFunctionArgs) {
  return referencePage(context.cspNonce)
}
