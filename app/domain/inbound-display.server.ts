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
  const body = html.replace(/(["'])cid:([0-9a-f]{64})\1/g, (whole, quote: string, sha: string) => {
    const id = bySha.get(sha)
    return id ? `${quote}/w/${member.workspaceSlug}/attachments/${id}${quote}` : whole
  })
  const hide = options.quoted ? '' : `${QUOTE_SELECTORS.join(',')}{display:none!important}`
  return `<!doctype html><html><head><meta charset="utf-8"><base target="_blank"><style>body{font:14px/1.5 system-ui,sans-serif;margin:8px;color:#0f172a;word-wrap:break-word}img{max-width:100%;height:auto}${hide}</style></head><body>${body}</body></html>`
}
