import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { mailboxes } from '#db/schema.ts'
import type { InboundMessage } from '#app/domain/inbound-parse.server.ts'
import { routeInbound, withoutPlusTag } from '#app/domain/inbound-routing.server.ts'
import { createMember } from '#tests/helpers/factories.ts'

// Found from outside (2026-12-07): mail to `billing+invoices@` a mailbox's public address was
// "unrouted" (kept 90 days, no ticket), while `support+urgent@` at INBOUND_DOMAIN was filed.

function addressedTo(...to: string[]): InboundMessage {
  return {
    mode: 'raw',
    envelope: { from: 'customer@example.net', to },
    from: { address: 'customer@example.net', name: '' },
    to: to.map((address) => ({ address, name: '' })),
    cc: [],
    deliveredTo: [],
    subject: 'Invoice',
    text: 'Hello',
    html: undefined,
    headers: [],
    messageId: undefined,
    inReplyTo: [],
    references: [],
    attachments: [],
    droppedAttachments: 0,
    spf: undefined,
    dkim: undefined,
    report: undefined,
    dedupKey: 'x',
  }
}

describe('a public address with a +tag', () => {
  it('reaches the mailbox of the address without the tag, unless a mailbox has the tagged address', async () => {
    const m = await createMember()
    const domain = `${m.workspace.slug}.example.com`
    const [mailbox] = await getDb()
      .update(mailboxes)
      .set({ address: `billing@${domain}` })
      .where(eq(mailboxes.workspaceId, m.workspace.id))
      .returning()
    for (const address of [`billing+invoices@${domain}`, `Billing+VIP@${domain.toUpperCase()}`]) {
      const routes = await routeInbound(getDb(), addressedTo(address))
      expect(routes.map((r) => r.mailboxId)).toEqual([mailbox!.id])
    }
    // Another workspace's mailbox whose own address is tagged takes its exact address first.
    const other = await createMember()
    const [tagged] = await getDb()
      .update(mailboxes)
      .set({ address: `billing+vip@${domain}` })
      .where(eq(mailboxes.workspaceId, other.workspace.id))
      .returning()
    const routes = await routeInbound(getDb(), addressedTo(`billing+vip@${domain}`))
    expect(routes.map((r) => r.mailboxId)).toEqual([tagged!.id])
    // Both addresses named: each mailbox by its own.
    const both = await routeInbound(getDb(), addressedTo(`billing+vip@${domain}`, `billing@${domain}`))
    expect(both.map((r) => r.mailboxId)).toEqual([tagged!.id, mailbox!.id])
    expect(await routeInbound(getDb(), addressedTo(`billing-x@${domain}`))).toEqual([])
  })

  it('is read as local part and tag only before the @', () => {
    expect(withoutPlusTag('a+b@x.org')).toBe('a@x.org')
    expect(withoutPlusTag('a+b+c@x.org')).toBe('a@x.org')
    expect(withoutPlusTag('+b@x.org')).toBe('+b@x.org')
    expect(withoutPlusTag('a@x+y.org')).toBe('a@x+y.org')
  })
})
