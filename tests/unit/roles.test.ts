import { describe, expect, it } from 'vitest'
import { canAssignRole, hasRole, type Role } from '#app/utils/roles.ts'

describe('hasRole', () => {
  it.each<[Role, Role, boolean]>([
    ['owner', 'owner', true],
    ['owner', 'admin', true],
    ['owner', 'agent', true],
    ['admin', 'owner', false],
    ['admin', 'admin', true],
    ['admin', 'agent', true],
    ['agent', 'owner', false],
    ['agent', 'admin', false],
    ['agent', 'agent', true],
  ])('an %s meets a need for %s: %s', (actual, needed, expected) => {
    expect(hasRole(actual, needed)).toBe(expected)
  })
})

describe('canAssignRole', () => {
  it.each<[Role, Role, boolean]>([
    ['owner', 'owner', true],
    ['owner', 'admin', true],
    ['owner', 'agent', true],
    ['admin', 'owner', false],
    ['admin', 'admin', true],
    ['admin', 'agent', true],
    ['agent', 'owner', false],
    ['agent', 'admin', false],
    ['agent', 'agent', false],
  ])('an %s may give the %s role: %s', (actor, role, expected) => {
    expect(canAssignRole(actor, role)).toBe(expected)
  })
})
