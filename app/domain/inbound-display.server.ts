import EmailReplyParser from 'email-reply-parser'
import { getDb } from '#db/client.ts'
import { getMessageHtml, listMessageAttachmentHashes } from '#db/queries/inbound-emails.ts'
import { QUOTE_SELECTORS } from './email-html.server.ts'

/**
 * A plain-text email split into what the customer wrote and the quoted history and signature
 * below it (email-reply-parser: Gmail, Outlook, Apple Mail, several languages). Node-only: the
 * parser loads re2 through createRequire, so it runs here, not in the browser.
 */
export function splitQuotedText(text: string) {
  try {
    const email = new EmailReplyParser().read(text)
    const visible = email.getVisibleText().trim()
    return { visibleText: visible || text, quotedText: visible ? email.getQuotedText().trim() : '' }
  } catch {
    return { visibleText: text, quotedText: '' }
  }
}

/**
 * A full HTML document around an inbound message's sanitized HTML: inline images (stored as
 * `cid:<sha256>`) point at our attachment route, and the quote containers of the common mail
 * clients are hidden unless `quoted`. The full message is always what is stored.
 */
export async function inboundEmailDocument(
  member: { workspaceId: string; workspaceSlug: string },
  messageId: string,
  options: { quoted: boolean },
) {
  const which = { workspaceId: member.workspaceId, messageId }
  const html = await getMessageHtml(getDb(), which)
  if (!html) return undefined
  const files = await listMessageAttachmentHashes(getDb(), which)
  const bySha = new Map(files.map((f) => [f.sha256, f.id]))
  const body = html.replace(/<img\b[^>]*>/gi, (tag) => {
    const src = /\ssrc=(["'])(.*?)\1/i.exec(tag)
    if (!src || !/^cid:/i.test(src[2])) return tag
    const id = bySha.get(/^cid:([0-9a-f]{64})$/.exec(src[2])?.[1] ?? '')
    if (id) return tag.replace(src[0], ` src=${src[1]}/w/${member.workspaceSlug}/attachments/${id}${src[1]}`)
    // The email's own part was not kept (over the file limit, refused, or never sent with it):
    // say so in its place instead of a broken image. The sanitizer wrote `alt` escaped.
    const alt = /\salt=(["'])(.*?)\1/i.exec(tag)?.[2].trim()
    return `<span class="sb-missing-image">[Image not kept${alt ? `: ${alt}` : ''}]</span>`
  })
  const hide = options.quoted ? '' : `${QUOTE_SELECTORS.join(',')}{display:none!important}`
  return `<!doctype html><html><head><meta charset="utf-8"><base target="_blank"><style>body{font:14px/1.5 system-ui,sans-serif;margin:8px;color:#0f172a;word-wrap:break-word}img{max-width:100%;height:auto}.sb-missing-image{display:inline-block;padding:2px 6px;border:1px dashed #94a3b8;border-radius:4px;color:#475569;font-size:12px}${hide}</style></head><body>${body}</body></html>`
}
