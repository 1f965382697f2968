import { createHmac, timingSafeEqual } from 'node:crypto'
import { env } from '#app/env.server.ts'
import { searchParamsOf } from './form-data.server.ts'

// "You left <Workspace>" on the page a departure lands on (another workspace's home, or Create a
// workspace), with and without JavaScript: the name travels in the redirect's `left` parameter,
// signed for the user who left (HMAC-SHA256 under SESSION_SECRET), so a link someone else makes
// cannot put words of theirs into that notice.

function signature(userId: string, name: string, secret: string) {
  return createHmac('sha256', secret).update(`left-workspace:v1:${userId}:${name}`).digest('base64url')
}

/** The `left` parameter naming the workspace the user just left. */
export function leftParam(userId: string, workspaceName: string) {
  const name = Buffer.from(workspaceName, 'utf8').toString('base64url')
  return `${name}.${signature(userId, workspaceName, env().sessionSecret)}`
}

/** The path a departure lands on, with its notice. */
export function afterLeaving(userId: string, workspaceName: string, nextSlug: string | null) {
  const notice = `left=${encodeURIComponent(leftParam(userId, workspaceName))}`
  return nextSlug ? `/w/${nextSlug}?${notice}` : `/workspaces/new?${notice}`
}

/** The workspace name the request's `left` parameter names for this user, if it is theirs. */
export function leftWorkspaceName(request: Request, userId: string): string | null {
  const given = searchParamsOf(request).get('left')
  if (!given || given.length > 2_000) return null
  const [encoded, signed, ...rest] = given.split('.')
  if (rest.length > 0 || !encoded || !signed) return null
  const name = Buffer.from(encoded, 'base64url').toString('utf8')
  const actual = Buffer.from(signed)
  const matches = env().sessionSecrets.some((secret) => {
    const expected = Buffer.from(signature(userId, name, secret))
    return expected.length === actual.length && timingSafeEqual(expected, actual)
  })
  return matches ? name : null
}
