import { verifyApiTokenAndTakeSlot, type ApiPrincipal } from '#app/domain/api-tokens.server.ts'
import type { ApiScope } from '#app/utils/api-scopes.ts'
import { hasRole, type Role } from '#app/utils/roles.ts'
import { problem } from './problem.server.ts'
import { apiSlotAnswer, apiTokenLimit, type ApiSlotAnswer } from './token-limit.server.ts'

export type { ApiPrincipal, ApiScope }

const REALM = 'realm="switchboard"'

/** 401 with the RFC 6750 challenge. No hint which check failed beyond "invalid". */
function unauthorized(detail: string, error?: 'invalid_request' | 'invalid_token') {
  const challenge = error ? `Bearer ${REALM}, error="${error}"` : `Bearer ${REALM}`
  return problem('unauthorized', detail, { headers: { 'www-authenticate': challenge } })
}

/**
 * The principal behind a request's `Authorization: Bearer sb_pat_…` header and its rate-limit slot
 * (taken in the same statement as the token lookup), or a thrown 401 problem. Session cookies are
 * never read: the API has no ambient credentials, hence no CSRF. The caller answers 429 when the
 * slot is refused.
 */
export async function authenticateApiRequest(
  request: Request,
  clientIp: string,
): Promise<{ principal: ApiPrincipal; slot: ApiSlotAnswer }> {
  const header = request.headers.get('authorization')
  if (!header) throw unauthorized('Send an API token: Authorization: Bearer sb_pat_…')
  const match = /^Bearer +(\S+) *$/i.exec(header)
  if (!match) throw unauthorized('The Authorization header must be "Bearer <token>".', 'invalid_request')
  const limit = apiTokenLimit()
  const { check, slot } = await verifyApiTokenAndTakeSlot(match[1]!, clientIp, limit)
  if (check.kind === 'ok' && slot) return { principal: check.principal, slot: apiSlotAnswer(slot, limit.max) }
  // Malformed, unknown, revoked, expired and disabled tokens get the same answer.
  throw unauthorized('The API token is invalid, expired or revoked.', 'invalid_token')
}

/** 403 unless the token carries `scope`. */
export function requireScope(principal: ApiPrincipal, scope: ApiScope) {
  if (principal.scopes.includes(scope)) return
  throw problem('insufficient-scope', `This token lacks the ${scope} scope.`, {
    headers: { 'www-authenticate': `Bearer ${REALM}, error="insufficient_scope", scope="${scope}"` },
  })
}

/** 403 unless the token's creator (now) has at least `role` in the workspace. */
export function requireApiRole(principal: ApiPrincipal, role: Role) {
  if (hasRole(principal.role, role)) return
  throw problem(
    'forbidden',
    `This needs the ${role} role; the token acts as its creator (${principal.role}).`,
  )
}
