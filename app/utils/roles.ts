import type { Role } from './vocabulary.ts'

export type { Role }

const RANK: Record<Role, number> = { agent: 1, admin: 2, owner: 3 }

export function hasRole(actual: Role, needed: Role) {
  return RANK[actual] >= RANK[needed]
}

/** Who may give which role: admins manage agents and admins; only owners create or change owners. */
export function canAssignRole(actor: Role, role: Role) {
  if (actor === 'owner') return true
  return actor === 'admin' && role !== 'owner'
}
