import { eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { apiTokens, auditEvents, memberships } from '#db/schema.ts'
import {
  generateApiToken,
  isWellFormedApiToken,
  verifyApiToken,
  verifyApiTokenAndTakeSlot,
} from '#app/domain/api-tokens.server.ts'
import { acceptInvitation } from '#app/domain/invitations.server.ts'
import { removeMember } from '#app/domain/workspaces.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { hashToken } from '#app/domain/tokens.server.ts'
import * as tokensRoute from '#app/routes/w.$slug.settings.api-tokens.tsx'
import { apiTokenFor } from '#tests/helpers/api.ts'
import { asMember, createInvitation, createMember } from '#tests/helpers/factories.ts'
import { holdTransaction, lockWaiters } from '#tests/helpers/held-transaction.ts'
import { callAction, callLoader } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Invitations queue their email.
beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
})

type Actor = Awaited<ReturnType<typeof createMember>>

function post(
  actor: Actor,
  fields: Array<[string, string]>,
  slug = actor.workspace.slug,
  { confirmed = true } = {},
) {
  const form = new FormData()
  for (const [name, value] of fields) form.append(name, value)
  // Posted as the confirmation step does (tests/integration/confirmations.test.ts covers the step itself).
  if (confirmed) form.append('confirmed', '1')
  return callAction(tokensRoute, `/w/${slug}/settings/api-tokens`, form, {
    cookie: actor.cookie,
    params: { slug },
  })
}

function load(actor: Actor, slug = actor.workspace.slug) {
  return callLoader(tokensRoute, `/w/${slug}/settings/api-tokens`, { cookie: actor.cookie, params: { slug } })
}

const createFields = (name = 'CRM sync'): Array<[string, string]> => [
  ['intent', 'create'],
  ['name', name],
  ['scopes', 'tickets:read'],
  ['scopes', 'contacts:write'],
  ['expiresIn', '30'],
]

describe('API token format', () => {
  it('makes sb_pat_ tokens whose checksum catches any changed character', () => {
    const token = generateApiToken()
    expect(token).toMatch(/^sb_pat_[0-9A-Za-z]{36}$/)
    expect(isWellFormedApiToken(token)).toBe(true)
    for (let i = 7; i < token.length; i++) {
      const changed = token.slice(0, i) + (token[i] === 'a' ? 'b' : 'a') + token.slice(i + 1)
      expect(isWellFormedApiToken(changed), `position ${i}`).toBe(false)
    }
    expect(new Set(Array.from({ length: 200 }, generateApiToken)).size).toBe(200)
  })
})

describe('Settings → API tokens', () => {
  it('lets an owner create a token shown once, stored only as its sha256, with scopes and expiry', async () => {
    const owner = await createMember('owner')
    const result = await post(owner, createFields())
    expect(result.status).toBe(200)
    const token = result.data.created.token as string
    expect(isWellFormedApiToken(token)).toBe(true)
    const [row] = await getDb().select().from(apiTokens).where(eq(apiTokens.workspaceId, owner.workspace.id))
    expect(row.tokenHash).toBe(hashToken(token))
    expect(JSON.stringify(row)).not.toContain(token.slice(7))
    expect(row.scopes).toEqual(['tickets:read', 'contacts:write'])
    expect(row.expiresAt!.getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000)
    const list = await load(owner)
    expect(list.data.tokens).toEqual([
      expect.objectContaining({
        name: 'CRM sync',
        prefix: token.slice(0, 11),
        state: 'active',
        lastUsedAt: null,
      }),
    ])
    expect(JSON.stringify(list.data)).not.toContain(token)
    const audit = await getDb()
      .select({ action: auditEvents.action })
      .from(auditEvents)
      .where(eq(auditEvents.targetId, row.id))
    expect(audit.map((a) => a.action)).toEqual(['api-token.created'])
  })

  it('shows field errors and writes nothing for a missing name, no scope or an unknown scope', async () => {
    const owner = await createMember('owner')
    const result = await post(owner, [
      ['intent', 'create'],
      ['name', ''],
      ['expiresIn', 'forever'],
    ])
    expect(result.status).toBe(400)
    expect(Object.keys(result.data.result.error).sort()).toEqual(['expiresIn', 'name', 'scopes'])
    const unknown = await post(owner, [
      ...createFields().filter(([k]) => k !== 'scopes'),
      ['scopes', 'admin:all'],
    ])
    expect(unknown.status).toBe(400)
    expect(
      await getDb().select().from(apiTokens).where(eq(apiTokens.workspaceId, owner.workspace.id)),
    ).toEqual([])
  })

  it('revokes: the token is refused on its next request', async () => {
    const owner = await createMember('owner')
    const token = (await post(owner, createFields())).data.created.token as string
    expect((await verifyApiToken(token, '203.0.113.1')).kind).toBe('ok')
    const [row] = await getDb().select().from(apiTokens).where(eq(apiTokens.workspaceId, owner.workspace.id))
    expect(
      (
        await post(owner, [
          ['intent', 'revoke'],
          ['tokenId', row.id],
        ])
      ).status,
    ).toBe(200)
    expect((await verifyApiToken(token, '203.0.113.1')).kind).toBe('revoked')
    expect((await load(owner)).data.tokens[0].state).toBe('revoked')
  })

  it('is for owners and admins: an agent gets 403, another workspace’s member 404, another workspace’s token id 404', async () => {
    const owner = await createMember('owner')
    const admin = await createMember('admin', owner.workspace)
    const agent = await createMember('agent', owner.workspace)
    expect((await post(admin, createFields('Admin token'))).status).toBe(200)
    expect((await load(agent)).status).toBe(403)
    expect((await post(agent, createFields())).status).toBe(403)
    const stranger = await createMember('owner')
    expect((await load(stranger, owner.workspace.slug)).status).toBe(404)
    expect((await post(stranger, createFields(), owner.workspace.slug)).status).toBe(404)
    // Revoking another workspace's token by id: 404, and it keeps working.
    const token = (await post(owner, createFields())).data.created.token as string
    const [row] = await getDb()
      .select()
      .from(apiTokens)
      .where(eq(apiTokens.tokenHash, hashToken(token)))
    expect(
      (
        await post(stranger, [
          ['intent', 'revoke'],
          ['tokenId', row.id],
        ])
      ).status,
    ).toBe(404)
    expect((await verifyApiToken(token, '203.0.113.1')).kind).toBe('ok')
    expect((await load(owner)).data.tokens).toHaveLength(2)
  })

  describe("an owner's token", () => {
    async function tokenOf(actor: Actor, name: string) {
      const token = (await post(actor, createFields(name))).data.created.token as string
      const [row] = await getDb()
        .select({ id: apiTokens.id })
        .from(apiTokens)
        .where(eq(apiTokens.tokenHash, hashToken(token)))
      return { token, id: row.id }
    }
    const revoke = (actor: Actor, tokenId: string, options?: { confirmed: boolean }) =>
      post(
        actor,
        [
          ['intent', 'revoke'],
          ['tokenId', tokenId],
        ],
        actor.workspace.slug,
        options,
      )

    it('is listed to an admin with who owns it, with no Revoke, and revoking it is 403 (with or without the confirm step)', async () => {
      const owner = await createMember('owner')
      const admin = await createMember('admin', owner.workspace)
      const ownerToken = await tokenOf(owner, 'Owner sync')
      const adminToken = await tokenOf(admin, 'Admin sync')
      const list = await load(admin)
      expect(list.data.tokens).toEqual([
        expect.objectContaining({ name: 'Admin sync', createdByRole: 'admin', revocable: true }),
        expect.objectContaining({
          name: 'Owner sync',
          createdByName: owner.user.name,
          createdByRole: 'owner',
          revocable: false,
        }),
      ])
      expect((await revoke(admin, ownerToken.id, { confirmed: false })).status).toBe(403)
      expect((await revoke(admin, ownerToken.id)).status).toBe(403)
      expect((await verifyApiToken(ownerToken.token, '203.0.113.1')).kind).toBe('ok')
      const audits = await getDb()
        .select({ action: auditEvents.action })
        .from(auditEvents)
        .where(eq(auditEvents.targetId, ownerToken.id))
      expect(audits.map((a) => a.action)).toEqual(['api-token.created'])
      // Their own and another admin's: revoked as before.
      const otherAdmin = await createMember('admin', owner.workspace)
      const otherAdminToken = await tokenOf(otherAdmin, 'Other admin sync')
      expect((await revoke(admin, otherAdminToken.id)).status).toBe(200)
      expect((await revoke(admin, adminToken.id)).status).toBe(200)
      expect((await verifyApiToken(adminToken.token, '203.0.113.1')).kind).toBe('revoked')
    })

    it('is revoked by an owner (theirs or another owner’s), as an admin’s token is', async () => {
      const owner = await createMember('owner')
      const coOwner = await createMember('owner', owner.workspace)
      const admin = await createMember('admin', owner.workspace)
      const tokens = [
        await tokenOf(coOwner, 'Co-owner'),
        await tokenOf(admin, 'Admin'),
        await tokenOf(owner, 'Mine'),
      ]
      expect((await load(owner)).data.tokens.map((t: { revocable: boolean }) => t.revocable)).toEqual([
        true,
        true,
        true,
      ])
      for (const { id } of tokens) expect((await revoke(owner, id)).status).toBe(200)
      for (const { token } of tokens)
        expect((await verifyApiToken(token, '203.0.113.1')).kind).toBe('revoked')
    })

    it("is an agent's to neither see nor revoke, and another workspace's owner gets 404", async () => {
      const owner = await createMember('owner')
      const agent = await createMember('agent', owner.workspace)
      const stranger = await createMember('owner')
      const ownerToken = await tokenOf(owner, 'Owner sync')
      expect((await load(agent)).status).toBe(403)
      expect((await revoke(agent, ownerToken.id)).status).toBe(403)
      expect(
        (
          await post(
            stranger,
            [
              ['intent', 'revoke'],
              ['tokenId', ownerToken.id],
            ],
            owner.workspace.slug,
          )
        ).status,
      ).toBe(404)
      expect((await revoke(stranger, ownerToken.id)).status).toBe(404)
      expect((await verifyApiToken(ownerToken.token, '203.0.113.1')).kind).toBe('ok')
    })

    it('is judged on the creator’s role as the revoke locks it: promoted to owner while an admin’s revoke waited, refused', async () => {
      const owner = await createMember('owner')
      const admin = await createMember('admin', owner.workspace)
      const creator = await createMember('admin', owner.workspace)
      const creatorToken = await tokenOf(creator, 'Soon an owner’s')
      const promotion = await holdTransaction((tx) =>
        tx.update(memberships).set({ role: 'owner' }).where(eq(memberships.id, creator.membershipId)),
      )
      const revoking = revoke(admin, creatorToken.id)
      await lockWaiters(1, promotion)
      await promotion.commit()
      expect((await revoking).status).toBe(403)
      expect((await verifyApiToken(creatorToken.token, '203.0.113.1')).kind).toBe('ok')
    })
  })

  it('stays dead when its creator is removed and later joins again, whatever the new role', async () => {
    const owner = await createMember('owner')
    const admin = await createMember('admin', owner.workspace)
    const old = (await post(admin, createFields('Before leaving'))).data.created.token as string
    await removeMember(asMember(owner), admin.membershipId)
    expect((await verifyApiToken(old, '203.0.113.1')).kind).toBe('creator-removed')
    // Invited back (here as an agent, who may not hold a token at all) and accepted.
    const invitation = await createInvitation(owner, { email: admin.user.email, role: 'agent' })
    expect((await acceptInvitation(invitation.token, admin.user)).kind).toBe('joined')
    // Both ways a token is read: the domain's check and the per-request statement of REST and MCP.
    expect((await verifyApiToken(old, '203.0.113.1')).kind).toBe('creator-removed')
    const perRequest = await verifyApiTokenAndTakeSlot(old, '203.0.113.1', { max: 600, windowMs: 60_000 })
    expect(perRequest.check.kind).toBe('creator-removed')
    const listed = (await load(owner)).data.tokens.find((t: { name: string }) => t.name === 'Before leaving')
    expect(listed.state).toBe('disabled')
    // A token made after joining again works, with the role they have now.
    const fresh = await apiTokenFor(admin, { role: 'agent' })
    const check = await verifyApiToken(fresh.token, '203.0.113.1')
    expect(check.kind === 'ok' && check.principal.role).toBe('agent')
  })
  it('a dead token of a creator who came back as an owner is listed revocable for an admin, and the revoke works', async () => {
    const owner = await createMember('owner')
    const admin = await createMember('admin', owner.workspace)
    const leaver = await createMember('admin', owner.workspace)
    await post(leaver, createFields('From the first membership'))
    await removeMember(asMember(owner), leaver.membershipId)
    const invitation = await createInvitation(owner, { email: leaver.user.email, role: 'owner' })
    expect((await acceptInvitation(invitation.token, leaver.user)).kind).toBe('joined')
    const listed = (await load(admin)).data.tokens.find(
      (t: { name: string }) => t.name === 'From the first membership',
    )
    expect(listed).toMatchObject({ state: 'disabled', revocable: true })
    // What the list offers, the action does (it answered 403: judged on the owner membership).
    const revoked = await post(admin, [
      ['intent', 'revoke'],
      ['tokenId', listed.id],
    ])
    expect(revoked.status).toBe(200)
    const after = (await load(admin)).data.tokens.find(
      (t: { name: string }) => t.name === 'From the first membership',
    )
    expect(after.state).toBe('revoked')
  })
})
