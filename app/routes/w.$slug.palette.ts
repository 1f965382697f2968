import type { LoaderFunctionArgs } from '@remix-run/node'
import { searchPalette } from '#app/domain/palette.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { searchParamsOf } from '#app/http/form-data.server.ts'

/**
 * GET /w/<slug>/palette?q=kettle → `{ me, tickets, customers }` for the command palette
 * (Ctrl/Cmd+K): tickets by number or words and customers, of this workspace only. Members only
 * (another workspace's slug is a 404, as for every workspace route); never cached.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const found = await searchPalette(member, searchParamsOf(request).get('q') ?? '')
  return Response.json({ me: member.userId, ...found }, { headers: { 'Cache-Control': 'no-store' } })
}
