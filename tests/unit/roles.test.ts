import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { canAssignRole, hasRole, roleNeededBy, type Role } from '#app/utils/roles.ts'

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

describe('roleNeededBy', () => {
  it('is the highest role the matched routes ask for, null when none asks', () => {
    expect(roleNeededBy([undefined, { dataRequests: true }, null])).toBeNull()
    expect(roleNeededBy([{}, { role: 'admin' }])).toBe('admin')
    expect(roleNeededBy([{ role: 'owner' }, { role: 'admin' }])).toBe('owner')
  })
})

describe("a workspace page's handle.role", () => {
  // A tab told its role changed leaves a page its new role may not open, by the route's handle
  // (live/role-change.tsx): a loader that asks for a role the handle does not name would turn the
  // tab's next reload into the error page instead.
  const routes = fs.readdirSync('app/routes').filter((name) => /^w\.\$slug\..*\.tsx$/.test(name))
  it.each(routes)('%s names the role its loader requires', (name) => {
    const source = fs.readFileSync(path.join('app/routes', name), 'utf8')
    const loader = /export async function loader\([^)]*\)[^{]*\{([\s\S]*?)\n\}/.exec(source)?.[1] ?? ''
    const required = /requireMember\(request, params\.slug, '(\w+)'\)/.exec(loader)?.[1] ?? null
    const declared = /export const handle(?:: RoleHandle)? = \{[^}]*role: '(\w+)'/.exec(source)?.[1] ?? null
    expect(declared).toBe(required === 'agent' ? null : required)
  })
})
