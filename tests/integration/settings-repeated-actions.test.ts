import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { cannedResponses, mailboxes, webhookEndpoints } from '#db/schema.ts'
import { createCannedResponse, deleteCannedResponse } from '#app/domain/canned-responses.server.ts'
import { unarchiveMailbox } from '#app/domain/mailboxes.server.ts'
import { createWebhookEndpoint, setWebhookEndpointEnabled } from '#app/domain/webhooks.server.ts'
import { asMember, createMember } from '#tests/helpers/factories.ts'
import { auditFor } from '#tests/helpers/db-reads.ts'
import { holdTransaction, lockWaiters } from '#tests/helpers/held-transaction.ts'

// A settings action repeated while the first is under way (a double submit, two admins, a script
// posting ten at once) changes the thing once and audits it once: the late ones read the row under
// its lock, after the first committed, and find it already done (or gone). Each case holds the
// first change open until the repeat waits for the row; before, the repeat read the row before the
// first committed, waited only at its own write, then wrote nothing and audited it all the same.

async function statusOf(promise: Promise<unknown>) {
  try {
    await promise
    return 'done'
  } catch (error) {
    if (error instanceof Response) return error.status
    throw error
  }
}

describe('a settings action repeated while the first is under way', () => {
  it('deletes a canned response once: the repeat is a 404 and audits nothing', async () => {
    const owner = await createMember('owner')
    const created = await createCannedResponse(asMember(owner), { title: 'Refunds', body: 'We refunded it.' })
    if (created.kind !== 'saved') throw new Error('not created')
    const first = await holdTransaction((tx) =>
      tx.delete(cannedResponses).where(eq(cannedResponses.id, created.id)),
    )
    const repeat = statusOf(deleteCannedResponse(asMember(owner), created.id))
    await lockWaiters(1, first)
    await first.commit()
    expect(await repeat).toBe(404)
    expect(await auditFor(owner.workspace.id, 'canned-response.deleted')).toEqual([])
  })

  it('ten deletes of one canned response at once: one done, one audit row', async () => {
    const owner = await createMember('owner')
    const created = await createCannedResponse(asMember(owner), {
      title: 'Shipping',
      body: 'It ships today.',
    })
    if (created.kind !== 'saved') throw new Error('not created')
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => statusOf(deleteCannedResponse(asMember(owner), created.id))),
    )
    expect(outcomes.filter((o) => o === 'done')).toHaveLength(1)
    expect(outcomes.filter((o) => o === 404)).toHaveLength(9)
    expect(await auditFor(owner.workspace.id, 'canned-response.deleted')).toHaveLength(1)
  })

  it('unarchives a mailbox once: the repeat finds it active and audits nothing', async () => {
    const owner = await createMember('owner')
    const [mailbox] = await getDb()
      .insert(mailboxes)
      .values({
        workspaceId: owner.workspace.id,
        name: 'Billing',
        key: 'billing',
        address: 'billing@example.com',
        fromName: 'Billing',
        archivedAt: new Date(),
      })
      .returning({ id: mailboxes.id })
    const first = await holdTransaction((tx) =>
      tx.update(mailboxes).set({ archivedAt: null }).where(eq(mailboxes.id, mailbox!.id)),
    )
    const repeat = unarchiveMailbox(asMember(owner), mailbox!.id)
    await lockWaiters(1, first)
    await first.commit()
    await repeat
    expect(await auditFor(owner.workspace.id, 'mailbox.unarchived')).toEqual([])
  })

  it.each([false, true])('turns a webhook endpoint %s once: the repeat audits nothing', async (enabled) => {
    const owner = await createMember('owner')
    const created = await createWebhookEndpoint(asMember(owner), {
      url: 'https://hooks.example.com/switchboard',
      description: '',
      events: ['ticket.created'],
      includeNotes: false,
    })
    if (created.kind !== 'ok') throw new Error('no endpoint')
    if (enabled) {
      await getDb()
        .update(webhookEndpoints)
        .set({ disabledAt: new Date() })
        .where(eq(webhookEndpoints.id, created.id))
    }
    const first = await holdTransaction((tx) =>
      tx
        .update(webhookEndpoints)
        .set({ disabledAt: enabled ? null : new Date() })
        .where(eq(webhookEndpoints.id, created.id)),
    )
    const repeat = setWebhookEndpointEnabled(asMember(owner), created.id, enabled)
    await lockWaiters(1, first)
    await first.commit()
    expect(await repeat).toEqual({ kind: 'ok', id: created.id })
    expect(await auditFor(owner.workspace.id, enabled ? 'webhook.enabled' : 'webhook.disabled')).toEqual([])
  })
})
