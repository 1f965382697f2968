import type { LoaderFunctionArgs } from '@remix-run/node'
import { checkSlugAvailability } from '#app/domain/slug-availability.server.ts'
import { searchParamsOf } from '#app/http/form-data.server.ts'

/**
 * GET /signup/slug-available?slug=acme → `{ available: true | false }`: the signup form asks as
 * the person types (with JavaScript; without it the signup action's own check answers). No
 * session needed; rate-limited per address; never cached.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const slug = (searchParamsOf(request).get('slug') ?? '').slice(0, 100)
  const outcome = await checkSlugAvailability(slug, context.clientIp)
  if (outcome.kind === 'rate-limited') {
    return Response.json(
      { error: 'Too many checks; try again shortly.' },
      {
        status: 429,
        headers: { 'Retry-After': String(outcome.retryAfterSeconds), 'Cache-Control': 'no-store' },
      },
    )
  }
  return Response.json({ available: outcome.available }, { headers: { 'Cache-Control': 'no-store' } })
}
