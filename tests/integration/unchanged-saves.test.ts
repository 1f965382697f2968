import { and, eq, isNull } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, mailboxes, workspaces } from '#db/schema.ts'
import { getAiSettings, saveAiSettings } from '#app/ai/settings.server.ts'
import { updateName } from '#app/domain/accounts.server.ts'
import { createCannedResponse, updateCannedResponse } from '#app/domain/canned-responses.server.ts'
import { setAutoAcknowledgement, updateMailbox } from '#app/domain/mailboxes.server.ts'
import { renameWorkspace } from '#app/domain/workspaces.server.ts'
import { asMember, createMember } from '#tests/helpers/factories.ts'
import { auditFor } from '#tests/helpers/db-reads.ts'

// Setting something to the value it already has changes nothing, so it records nothing: each such
// save (a form saved untouched, a teammate's same change committed first) added an audit row that
// said a change happened (and a role change, members.test.ts, told the member's tabs).

async function supportMailbox(workspaceId: string) {
  const [row] = await getDb()
    .select()
    .from(mailboxes)
    .where(and(eq(mailboxes.workspaceId, workspaceId), eq(mailboxes.key, 'support')))
  return row!
}

describe('a save that changes nothing records nothing', () => {
  it('a mailbox’s settings and its auto-acknowledgement saved as they are', async () => {
    const owner = await createMember('owner')
    const member = asMember(owner)
    const mailbox = await supportMailbox(owner.workspace.id)
    const values = {
      name: mailbox.name,
      address: mailbox.address,
      fromName: mailbox.fromName,
      signature: mailbox.signature,
    }
    expect(await updateMailbox(member, mailbox.id, values)).toMatchObject({ kind: 'saved', saved: values })
    const acknowledgement = { enabled: mailbox.autoAcknowledge, text: mailbox.autoAcknowledgeText }
    expect(await setAutoAcknowledgement(member, mailbox.id, acknowledgement)).toMatchObject({ kind: 'saved' })
    expect(await auditFor(owner.workspace.id, 'mailbox.updated')).toEqual([])
    expect(await auditFor(owner.workspace.id, 'mailbox.auto-acknowledgement')).toEqual([])
    // A change is still recorded, once.
    await updateMailbox(member, mailbox.id, { ...values, signature: 'Thanks!' })
    await updateMailbox(member, mailbox.id, { ...values, signature: 'Thanks!' })
    expect(await auditFor(owner.workspace.id, 'mailbox.updated')).toHaveLength(1)
  })

  it('a canned response saved as it is', async () => {
    const owner = await createMember('owner')
    const member = asMember(owner)
    const created = await createCannedResponse(member, { title: 'Refunds', body: 'We refund within 5 days.' })
    if (created.kind !== 'saved') throw new Error('not created')
    const saved = await updateCannedResponse(member, created.id, {
      title: 'Refunds',
      body: 'We refund within 5 days.',
    })
    expect(saved).toEqual({ kind: 'saved', id: created.id, title: 'Refunds' })
    expect(await auditFor(owner.workspace.id, 'canned-response.updated')).toEqual([])
  })

  it('the AI settings saved as they are', async () => {
    const owner = await createMember('owner')
    const settings = await getAiSettings(owner.workspace.id)
    const input = {
      features: settings.features,
      model: settings.modelOverride ?? undefined,
      monthlyTokenBudget: settings.monthlyTokenBudget ?? undefined,
      debugLogging: settings.debugUntil !== null,
    }
    expect(await saveAiSettings(asMember(owner), input)).toEqual({ kind: 'saved' })
    expect(await auditFor(owner.workspace.id, 'ai.settings-changed')).toEqual([])
    await saveAiSettings(asMember(owner), { ...input, monthlyTokenBudget: 5000 })
    expect(await auditFor(owner.workspace.id, 'ai.settings-changed')).toHaveLength(1)
  })

  it('the workspace renamed to its name, judged on the name stored, not the one the request read', async () => {
    const owner = await createMember('owner')
    const [stored] = await getDb()
      .select({ name: workspaces.name })
      .from(workspaces)
      .where(eq(workspaces.id, owner.workspace.id))
    // The request read another name (a teammate's rename committed since): that is no "before".
    const stale = { ...asMember(owner), workspaceName: 'An older name' }
    await renameWorkspace(stale, 'Acme')
    await renameWorkspace(stale, 'Acme')
    expect(await auditFor(owner.workspace.id, 'workspace.renamed')).toEqual([
      expect.objectContaining({ data: { before: stored!.name, after: 'Acme' } }),
    ])
  })

  it('a person’s name saved as it is', async () => {
    const owner = await createMember('owner')
    await updateName(owner.user.id, owner.user.name)
    const renamed = () =>
      getDb()
        .select({ data: auditEvents.data })
        .from(auditEvents)
        .where(
          and(
            isNull(auditEvents.workspaceId),
            eq(auditEvents.action, 'user.renamed'),
            eq(auditEvents.actorUserId, owner.user.id),
          ),
        )
    expect(await renamed()).toEqual([])
    await updateName(owner.user.id, 'Dana Scully')
    await updateName(owner.user.id, 'Dana Scully')
    expect(await renamed()).toEqual([{ data: { name: 'Dana Scully' } }])
  })
})
