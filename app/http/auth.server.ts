import { AsyncLocalStorage } from 'node:async_hooks'
import {
  createCookieSessionStorage,
  redirect,
  type AppLoadContext,
  type SessionStorage,
} from '@remix-run/node'
import { Authenticator } from 'remix-auth'
import { FormStrategy } from 'remix-auth-form'
import { getDb } from '#db/client.ts'
import { getIdentityWithLayout } from '#db/queries/layout.ts'
import { getIdentity } from '#db/queries/sessions.ts'
import { getMembershipBySlug } from '#db/queries/workspaces.ts'
import { verifyLogin } from '#app/domain/accounts.server.ts'
import { forbidden, notFound } from '#app/domain/errors.server.ts'
import { layoutFromRow, layoutMemoKey, queuePageMemoKey, type LayoutPlan } from '#app/domain/layout.server.ts'
import {
  closeSession,
  extendSessionIfDue,
  openSession,
  SESSION_TTL_MS,
  type CurrentSession,
} from '#app/domain/sessions.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { env } from '#app/env.server.ts'
import { hasRole, type Role } from '#app/utils/roles.ts'
import { memoizePerRequest, takeRenewal } from './request-scope.server.ts'

// Everything about who is asking that needs the Request: the session cookie, the guards and
// the login form's authenticator. The domain below takes plain values (user id, ip, user agent).

export const SESSION_COOKIE = '__sb_session'

type CookieData = { sid: string }
const store = globalThis as unknown as {
  __switchboardSessionStorage?: SessionStorage<CookieData>
  __switchboardSignedSessionIds?: Map<string, string>
}

function sessionStorage() {
  store.__switchboardSessionStorage ??= createCookieSessionStorage<CookieData>({
    cookie: {
      name: SESSION_COOKIE,
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: env().isProduction || env().appUrl.startsWith('https:'),
      // The first signs; older ones (SESSION_SECRET while rotating) still unsign, and a cookie
      // committed again is signed with the first.
      secrets: env().sessionSecrets,
      maxAge: SESSION_TTL_MS / 1000,
    },
  })
  return store.__switchboardSessionStorage
}

/** How many Cookie headers sessionIdOf remembers the session id of (oldest forgotten first). */
export const SIGNED_SESSION_IDS_KEPT = 1_000
/** Longer headers are verified every time: the kept ones stay under ~1 MB however they are padded. */
export const SIGNED_HEADER_MAX_CHARS = 1_024

/**
 * The session id a request's Cookie header carries, if its signature is good. A header is the same
 * string on every request of a browser until a cookie changes, and what it verifies to depends only
 * on it and the secret (fixed for the process): the headers that verified are remembered, so the
 * HMAC, the header's parse and the cookie's decoding run once per browser instead of once per
 * request (~11 µs of HMAC alone under load: 1.4–1.9% of the home page's server CPU). Whether the
 * session is still open is the database's answer on every request, as before. A header that does
 * not verify is not remembered (forged ones cannot fill the map), nor one over
 * SIGNED_HEADER_MAX_CHARS.
 */
export async function sessionIdOf(cookieHeader: string): Promise<string | null> {
  const verified = (store.__switchboardSignedSessionIds ??= new Map())
  const known = verified.get(cookieHeader)
  if (known !== undefined) return known
  const sid: unknown = (await sessionStorage().getSession(cookieHeader)).get('sid')
  if (typeof sid !== 'string' || sid === '') return null
  if (cookieHeader.length > SIGNED_HEADER_MAX_CHARS) return sid
  if (verified.size >= SIGNED_SESSION_IDS_KEPT) verified.delete(verified.keys().next().value!)
  verified.set(cookieHeader, sid)
  return sid
}

async function cookieFor(sessionId: string) {
  const cookieSession = await sessionStorage().getSession()
  cookieSession.set('sid', sessionId)
  return sessionStorage().commitSession(cookieSession)
}

type Identity = {
  session: CurrentSession
  user: SignedIn['user']
  /** Whether the user has confirmed their address (the layout's banner), read with the session. */
  emailVerified: boolean
  /** The membership of the workspace named in the request's path (`/w/:slug/…`), if any. */
  membership: { role: Role; workspaceId: string; workspaceName: string; workspaceSlug: string } | null
  slug: string | null
}

/** The workspace slug of a `/w/:slug/…` path (or `/w/:slug.data`), as Remix's params.slug has it. */
export function workspaceSlugOf(pathname: string) {
  const match = /^\/w\/([^/]+?)(?:\.data)?(?:\/|$)/.exec(pathname)
  if (!match) return null
  try {
    return decodeURIComponent(match[1])
  } catch {
    return null
  }
}

/**
 * Session, user and the path's workspace membership in one prepared statement, once per HTTP
 * request (the session-renewal middleware, the layout's and the page's guards all share it).
 * Per request only: nothing is remembered across requests.
 */
function readIdentity(
  cookieHeader: string,
  slug: string | null,
  layout: LayoutPlan | null = null,
): Promise<Identity | null> {
  return memoizePerRequest(`identity:${slug ?? ''}:${cookieHeader}`, async () => {
    const sid = await sessionIdOf(cookieHeader)
    if (!sid) return null
    if (layout && slug) return readIdentityWithLayout(sid, slug, layout)
    const row = await getIdentity(getDb(), { sessionId: sid, slug })
    if (!row) return null
    // A POST's session renewal (sessionRenewal), on the session this read found.
    const renew = takeRenewal()
    if (renew) await renew({ id: row.sessionId, userId: row.userId, expiresAt: row.expiresAt })
    return {
      session: { id: row.sessionId, userId: row.userId, expiresAt: row.expiresAt },
      user: { id: row.userId, email: row.email, name: row.name, timeZone: row.timeZone },
      emailVerified: row.emailVerifiedAt !== null,
      membership:
        row.role && row.workspaceId && row.workspaceName !== null && row.workspaceSlug !== null
          ? {
              role: row.role,
              workspaceId: row.workspaceId,
              workspaceName: row.workspaceName,
              workspaceSlug: row.workspaceSlug,
            }
          : null,
      slug,
    }
  })
}

/**
 * readIdentity's lookup for a GET of a page whose layout loader will run (layoutPlanOf): the same
 * identity, and the layout's row in the same statement, memoized for this request where the
 * layout's loader looks for it (layoutForRequest). Not a member: no layout is read.
 */
async function readIdentityWithLayout(sessionId: string, slug: string, plan: LayoutPlan) {
  const found = await getIdentityWithLayout(getDb(), { sessionId, slug, ...plan })
  if (!found) return null
  const { row, queuePage } = found
  const identity: Identity = {
    session: { id: row.session_id, userId: row.user_id, expiresAt: new Date(row.expires_at) },
    user: { id: row.user_id, email: row.email, name: row.name, timeZone: row.time_zone },
    emailVerified: row.email_verified_at !== null,
    membership:
      row.role && row.workspace_id && row.workspace_name !== null && row.workspace_slug !== null
        ? {
            role: row.role,
            workspaceId: row.workspace_id,
            workspaceName: row.workspace_name,
            workspaceSlug: row.workspace_slug,
          }
        : null,
    slug,
  }
  const { workspaces, mine, unassigned, unread, notifications } = row
  if (
    identity.membership &&
    workspaces !== undefined &&
    mine !== undefined &&
    unassigned !== undefined &&
    unread !== undefined &&
    notifications !== undefined
  ) {
    const layout = layoutFromRow({ ...row, workspaces, mine, unassigned, unread, notifications }, plan)
    void memoizePerRequest(layoutMemoKey(identity.membership.workspaceId, row.user_id), () =>
      Promise.resolve(layout),
    )
    // The inbox's page, for its loader (queuePageForRequest), under the query it was read for.
    if (queuePage && plan.queuePage) {
      void memoizePerRequest(
        queuePageMemoKey(identity.membership.workspaceId, row.user_id, plan.queuePage),
        () => Promise.resolve(queuePage),
      )
    }
  }
  return identity
}

/**
 * Reads the signed cookie and returns the live session row it refers to, if any. `pathname`
 * (the request's) lets the same lookup bring the workspace membership the guards will ask for,
 * and `layout` (a GET's layoutPlanOf) the workspace layout's row as well.
 */
export async function readSession(
  cookieHeader: string | null | undefined,
  pathname = '',
  layout: LayoutPlan | null = null,
): Promise<CurrentSession | null> {
  if (!cookieHeader) return null
  return (await readIdentity(cookieHeader, workspaceSlugOf(pathname), layout))?.session ?? null
}

/** What createSession needs of the request's context: the client's address and the sockets. */
export type SignInContext = {
  clientIp: AppLoadContext['clientIp']
  realtime: Pick<AppLoadContext['realtime'], 'disconnectSessions'>
}

/**
 * Opens a session for the user who just signed in (sign-in, signup, a password reset, an accepted
 * invitation); returns its id and the cookie that carries it. That cookie replaces the one the
 * browser sent, so the session the old one named (another account's, or an older one of the same)
 * is ended with it: its row deleted in the same transaction and its sockets disconnected. Before,
 * the row stayed live until it expired, listed under "Active sessions", and anyone who had copied
 * the old cookie could go on using it.
 */
export async function createSession(userId: string, request: Request, context: SignInContext) {
  const cookie = request.headers.get('cookie')
  const replaced = cookie ? await sessionIdOf(cookie) : null
  const id = await openSession(
    userId,
    { ip: context.clientIp, userAgent: request.headers.get('user-agent') },
    replaced,
  )
  if (replaced) context.realtime.disconnectSessions([replaced])
  return { id, setCookie: await cookieFor(id) }
}

/** Extends a session that is due; returns a fresh Set-Cookie header when it did. */
export async function renewSession(session: CurrentSession): Promise<string | null> {
  return (await extendSessionIfDue(session)) ? cookieFor(session.id) : null
}

/** Ends the session (when there is one); returns the Set-Cookie header that clears the cookie. */
export async function destroySession(sessionId: string | undefined) {
  if (sessionId) await closeSession(sessionId)
  return sessionStorage().destroySession(await sessionStorage().getSession())
}

export type SignedIn = {
  session: CurrentSession
  /** timeZone: the IANA zone dates are shown in; null until chosen (or detected), shown as UTC. */
  user: { id: string; email: string; name: string; timeZone: string | null }
}

export async function getSignedIn(request: Request): Promise<SignedIn | null> {
  const identity = await identityOf(request)
  return identity ? { session: identity.session, user: identity.user } : null
}

/**
 * The address of the account signed in on this request when that is not `userId`'s (null when
 * nobody or that account is): a page opened from an emailed link (confirm an address, reset a
 * password) acts for the link's account, and says so when another one is signed in.
 */
export async function otherAccountSignedIn(request: Request, userId: string) {
  const signedIn = await getSignedIn(request)
  return signedIn && signedIn.user.id !== userId ? signedIn.user.email : null
}

function identityOf(request: Request) {
  const cookie = request.headers.get('cookie')
  if (!cookie) return Promise.resolve(null)
  return readIdentity(cookie, workspaceSlugOf(new URL(request.url).pathname))
}

/** The signed-in user, or a redirect to the login page that comes back here afterwards. */
export async function requireUser(request: Request): Promise<SignedIn> {
  const signedIn = await getSignedIn(request)
  if (signedIn) return signedIn
  throw toLogin(request)
}

function toLogin(request: Request) {
  const url = new URL(request.url)
  const back = url.pathname + url.search
  return redirect(back === '/' ? '/login' : `/login?redirectTo=${encodeURIComponent(back)}`)
}

/**
 * The signed-in user's membership of the workspace `slug`. Not a member (or no such
 * workspace) → 404, so a workspace's existence is not revealed. Too low a role → 403.
 */
export async function requireMember(
  request: Request,
  slug: string | undefined,
  role: Role = 'agent',
): Promise<Member & SignedIn & { emailVerified: boolean }> {
  // One identity read (a POST does not memoize it: requireUser's own read would be a second).
  const identity = await identityOf(request)
  if (!identity) throw toLogin(request)
  const signedIn: SignedIn = { session: identity.session, user: identity.user }
  const userId = signedIn.user.id
  const emailVerified = identity.emailVerified
  // The identity lookup already read the membership of the path's workspace; any other slug
  // (none of today's routes) is looked up on its own.
  const row =
    slug && identity.slug === slug
      ? identity.membership
      : slug
        ? await memoizePerRequest(`member:${userId}:${slug}`, () =>
            getMembershipBySlug(getDb(), { userId, slug }),
          )
        : undefined
  if (!row) throw notFound('Workspace not found')
  if (!hasRole(row.role, role)) throw forbidden()
  return {
    ...signedIn,
    userId,
    role: row.role,
    workspaceId: row.workspaceId,
    workspaceSlug: row.workspaceSlug,
    workspaceName: row.workspaceName,
    emailVerified,
  }
}

export type AuthUser = { id: string; email: string; name: string }

export class InvalidCredentials extends Error {
  constructor() {
    super('Invalid email or password')
  }
}

// remix-auth hands the strategy a copy of the Request, so the priority travels alongside.
const hashPriority = new AsyncLocalStorage<number>()

/**
 * Verifies the form's email and password; throws InvalidCredentials, or HashQueueFull when the
 * hash was refused under load. `priority` orders the password hash among waiting ones (lower
 * first): the route passes the client address's recent failures, so a flood of wrong passwords
 * from elsewhere does not delay a clean sign-in.
 */
export function authenticateLogin(request: Request, priority: number) {
  return hashPriority.run(priority, () => authenticator().authenticate('form', request))
}

/**
 * remix-auth v4: the authenticator only verifies; sessions and redirects are ours. Kept by this
 * module, not on globalThis: its strategy throws this module's InvalidCredentials, which the login
 * route tells apart by class. When a process holds two copies of this module (a test worker that
 * also loaded the production build), an authenticator shared through globalThis threw the other
 * copy's class, and every wrong password became a 500.
 */
let auth: Authenticator<AuthUser> | undefined

function authenticator() {
  if (!auth) {
    auth = new Authenticator<AuthUser>()
    auth.use(
      new FormStrategy(async ({ form }) => {
        const email = String(form.get('email') ?? '')
        const password = String(form.get('password') ?? '')
        const user = await verifyLogin(email.trim(), password, hashPriority.getStore() ?? 0)
        if (!user) throw new InvalidCredentials()
        return user
      }),
      'form',
    )
  }
  return auth
}
