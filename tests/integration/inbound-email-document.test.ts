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

  async function documentOf(raw: string, options: { quoted: boolean; images?: boolean }) {
    const m = await createMember()
    const t = await createTicketFor(m)
    const [first] = await getDb().select().from(messages).where(eq(messages.ticketId, t.ticketId))
    await getDb()
      .update(messages)
      .set({ bodyHtml: sanitizeEmailHtml(raw) })
      .where(eq(messages.id, first.id))
    const doc = await inboundEmailDocument(
      { workspaceId: m.workspace.id, workspaceSlug: m.workspace.slug },
      first.id,
      options,
    )
    return { doc: doc!, src: `/w/${m.workspace.slug}/messages/${first.id}/email` }
  }

  it('a dark email keeps its background: the body’s becomes the document’s', async () => {
    const { doc } = await documentOf(
      '<html><body bgcolor="#000" style="background:#000; color:#fff"><div style="background:#1a1a2e;color:#ffffff">Your refund is on its way</div><font color="#ffffff">Thanks</font></body></html>',
      { quoted: false },
    )
    expect(doc).toContain('<body style="background-color:#000;color:#fff">')
    expect(doc).toContain(
      '<div style="background-color:#1a1a2e;color:#ffffff">Your refund is on its way</div>',
    )
    expect(doc).toContain('<font color="#ffffff">Thanks</font>')
  })

  it('white text whose background was an image loses its colour', async () => {
    const { doc } = await documentOf(
      '<table><tr><td style="background-image:url(https://cdn.example/hero.jpg)"><font color="#ffffff">Sale ends today</font></td></tr></table>',
      { quoted: false },
    )
    expect(doc).toContain('<font style="color:#0f172a">Sale ends today</font>')
  })

  it('hides only the quoted tail, says what it is, and its links keep each other', async () => {
    const raw =
      '<div dir="ltr">It still leaks. <img src="https://cdn.example/leak.jpg" alt="photo"></div><div class="gmail_quote"><div class="gmail_attr">On Mon, Dec 7, 2026 Acme wrote:</div><blockquote class="gmail_quote">Is it fixed?</blockquote></div>'
    const closed = await documentOf(raw, { quoted: false })
    const src = closed.src
    expect(closed.doc).toContain('<div data-sb-quoted class="gmail_quote">')
    expect(closed.doc).toContain(
      `<a href="${src}?quoted=1" target="_self">Show quoted text: earlier message (On Mon, Dec 7, 2026 Acme wrote:)</a>`,
    )
    expect(closed.doc).toContain(`<a href="${src}?images=1" target="_self">Load images</a>`)
    const open = await documentOf(raw, { quoted: true, images: true })
    expect(open.doc).not.toMatch(/<[a-z]+ data-sb-quoted/)
    expect(open.doc).toContain(`<a href="${open.src}?images=1" target="_self">Hide quoted text</a>`)
    expect(open.doc).not.toContain('Load images')
    const both = await documentOf(raw, { quoted: true })
    expect(both.doc).toContain(`<a href="${both.src}?quoted=1&amp;images=1" target="_self">Load images</a>`)
  })

  it('offers neither link when there is nothing to hide or load; a forward stays shown', async () => {
    const { doc } = await documentOf(
      '<div dir="ltr">Your sales rep promised this price:<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>From: Rep</div><div>$40 a seat</div></div></div>',
      { quoted: false },
    )
    expect(doc).not.toMatch(/<[a-z]+ data-sb-quoted/)
    expect(doc).not.toContain('sb-controls">')
    expect(doc).toContain('$40 a seat')
  })
})
