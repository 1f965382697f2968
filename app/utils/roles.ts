import type { Role } from './vocabulary.ts'

export type { Role }

const RANK: Record<Role, number> = { agent: 1, admin: 2, owner: 3 }

export function hasRole(actual: Role, needed: Role) {
  return RANK[actual] >= RANK[needed]
}

export const ROLE_LABEL: Record<Role, string> = { owner: 'Owner', admin: 'Admin', agent: 'Agent' }

/**
 * A workspace page whose loader requires more than membership (`requireMember(…, 'admin')`)
 * exports `handle = { role: 'admin' }`, so an open tab told its role changed (`workspace:role`)
 * knows, without asking the server, that the page would now refuse it: the tab then leaves it for
 * the inbox instead of reloading into the error page. `tests/unit/roles.test.ts` checks every
 * route declares what its loader requires.
 */
export type RoleHandle = { role: Role }

/** The highest role the matched routes' handles ask for (null: membership is enough). */
export function roleNeededBy(handles: unknown[]): Role | null {
  let needed: Role | null = null
  for (const handle of handles) {
    if (typeof handle !== 'object' || handle === null || !('role' in handle)) continue
    const role = (handle as RoleHandle).role
    if (role in RANK && (needed === null || RANK[role] > RANK[needed])) needed = role
  }
  return needed
}

/** Who may give which role: admins manage agents and admins; only owners create or change owners. */
export function canAssignRole(actor: Role, role: Role) {
  if (actor === 'owner') return true
  return actor === 'admin' && role !== 'owner'
}
