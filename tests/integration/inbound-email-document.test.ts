import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { attachments, messages } from '#db/schema.ts'
import { inboundEmailDocument } from '#app/domain/inbound-display.server.ts'
import { sanitizeEmailHtml } from '#app/domain/email-html.server.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'

const KEPT = 'a'.repeat(64)
const LOST = 'b'.repeat(64)

describe("an inbound email's HTML document (the thread's frame)", () => {
  it('points kept inline images at the attachment route and names the ones not kept', async () => {
    const m = await createMember()
    const t = await createTicketFor(m)
    const [first] = await getDb().select().from(messages).where(eq(messages.ticketId, t.ticketId))
    const html = sanitizeEmailHtml(
      `<p>Logo <img src="cid:${KEPT}" alt="logo"></p>` +
        `<p>Receipt <img src="cid:${LOST}" alt="Scan &quot;1&quot; <b>"></p>` +
        `<p><img src="cid:part1.0593@mail.example" width="10"></p>` +
        `<p><img src="https://example.com/x.png" alt="remote"></p>`,
    )
    await getDb().update(messages).set({ bodyHtml: html }).where(eq(messages.id, first.id))
    const [file] = await getDb()
      .insert(attachments)
      .values({
        workspaceId: m.workspace.id,
        messageId: first.id,
        filename: 'logo.png',
        contentType: 'image/png',
        size: 10,
        sha256: KEPT,
      })
      .returning()
    const doc = await inboundEmailDocument(
      { workspaceId: m.workspace.id, workspaceSlug: m.workspace.slug },
      first.id,
      { quoted: false },
    )
    expect(doc).toContain(`<img src="/w/${m.workspace.slug}/attachments/${file.id}" alt="logo" />`)
    expect(doc).toContain(
      '<span class="sb-missing-image">[Image not kept: Scan &quot;1&quot; &lt;b&gt;]</span>',
    )
    expect(doc).toContain('<span class="sb-missing-image">[Image not kept]</span>')
    expect(doc).toContain('src="https://example.com/x.png"')
    expect(doc).not.toContain('cid:')
  })
})
