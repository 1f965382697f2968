import { redirect } from '@remix-run/node'
import { getDb } from '#db/client.ts'
import { getUserById } from '#db/queries/users.ts'
import { getMembershipBySlug } from '#db/queries/workspaces.ts'
import { hasRole, type Role } from '#app/utils/roles.ts'
import { memoizePerRequest } from '#app/http/request-scope.server.ts'
import { forbidden, notFound } from './errors.server.ts'
import { readSession, type CurrentSession } from './sessions.server.ts'
import type { Member } from './workspaces.server.ts'

export type SignedIn = {
  session: CurrentSession
  user: { id: string; email: string; name: string }
}

export async function getSignedIn(request: Request): Promise<SignedIn | null> {
  const session = await readSession(request.headers.get('cookie'))
  if (!session) return null
  const user = await memoizePerRequest(`user:${session.userId}`, () => getUserById(getDb(), session.userId))
  return user ? { session, user } : null
}

/** The signed-in user, or a redirect to the login page that comes back here afterwards. */
export async function requireUser(request: Request): Promise<SignedIn> {
  const signedIn = await getSignedIn(request)
  if (signedIn) return signedIn
  const url = new URL(request.url)
  const back = url.pathname + url.search
  throw redirect(back === '/' ? '/login' : `/login?redirectTo=${encodeURIComponent(back)}`)
}

/**
 * The signed-in user's membership of the workspace `slug`. Not a member (or no such
 * workspace) → 404, so a workspace's existence is not revealed. Too low a role → 403.
 */
export async function requireMember(
  request: Request,
  slug: string | undefined,
  role: Role = 'agent',
): Promise<Member & SignedIn> {
  const signedIn = await requireUser(request)
  const row = slug
    ? await memoizePerRequest(`member:${signedIn.user.id}:${slug}`, () =>
        getMembershipBySlug(getDb(), signedIn.user.id, slug),
      )
    : undefined
  if (!row) throw notFound('Workspace not found')
  if (!hasRole(row.role, role)) throw forbidden()
  return {
    ...signedIn,
    userId: signedIn.user.id,
    role: row.role,
    workspaceId: row.workspaceId,
    workspaceSlug: row.workspaceSlug,
    workspaceName: row.workspaceName,
  }
}
