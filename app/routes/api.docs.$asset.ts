import type { LoaderFunctionArgs } from '@remix-run/node'
import { problem } from '#app/api/problem.server.ts'
import { referenceAsset } from '#app/api/reference.server.ts'

/** The reference page's script and stylesheet (an allow-list of swagger-ui-dist files). */
export function loader({ params }: LoaderFunctionArgs) {
  return referenceAsset(params.asset) ?? problem('not-found', 'No such file.')
}
