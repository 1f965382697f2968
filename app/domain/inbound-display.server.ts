import EmailReplyParser from 'email-reply-parser'
import { getDb } from '#db/client.ts'
import { getMessageHtml, listMessageAttachmentHashes } from '#db/queries/inbound-emails.ts'
import { bodyStyle, hasRemoteImages, quotedParts } from './email-quotes.server.ts'

/**
 * A plain-text email split into what the customer wrote and the history and signature below it
 * (email-reply-parser: Gmail, Outlook, Apple Mail, several languages), both in the email's own
 * words, so that together they are the whole text. Only the tail after the customer's last own
 * line is set apart: quoted lines between their lines (inline answers under each question) stay
 * in place, and the parser's signature fragments (a `-- ` signature, Outlook's rule of
 * underscores above a forwarded or replied-to message) are part of that tail, not dropped (they
 * were in neither part before). Node-only: the parser loads re2 through createRequire, so it runs
 * here, not in the browser.
 */
export function splitQuotedText(text: string) {
  const whole = { visibleText: text, quotedText: '' }
  try {
    const fragments = new EmailReplyParser().read(text).getFragments()
    const lastOwn = fragments.findLastIndex((fragment) => !fragment.isHidden())
    if (lastOwn === -1) return whole
    // The parser only changes whitespace (it trims line ends and joins a quote header broken over
    // two lines), so the tail is the part of the text holding its last `tailChars` non-space
    // characters, from the start of that line.
    const tailChars = fragments
      .slice(lastOwn + 1)
      .reduce((count, fragment) => count + nonSpaceCount(fragment.getContent()), 0)
    if (tailChars === 0) return whole
    const at = lineStartOfLast(text, tailChars)
    const visibleText = text.slice(0, at).trim()
    return visibleText ? { visibleText, quotedText: text.slice(at).trim() } : whole
  } catch {
    return whole
  }
}

/** What a customer wrote in a message: of an email, without the history below it; else as written. */
export function customerWords(text: string, fromEmail: boolean) {
  return fromEmail ? splitQuotedText(text).visibleText : text
}

const SPACE = /\s/

function nonSpaceCount(text: string) {
  let count = 0
  for (let i = 0; i < text.length; i++) if (!SPACE.test(text[i]!)) count++
  return count
}

/** Where the line holding the `count`-th non-space character from the end of `text` starts. */
function lineStartOfLast(text: string, count: number) {
  let seen = 0
  let i = text.length
  while (i > 0 && seen < count) if (!SPACE.test(text[--i]!)) seen++
  return text.lastIndexOf('\n', i) + 1
}

/**
 * A full HTML document around an inbound message's sanitized HTML: inline images (stored as
 * `cid:<sha256>`) point at our attachment route, the email's own background (its <body>'s) is
 * the document's, and the quoted history below what the customer wrote (quotedParts) is hidden
 * unless `quoted`. Its own links, inside the frame and in its URL, so each keeps the other: "Load
 * images" when the email has remote ones (the frame's CSP blocks them until `images`), and "Show
 * quoted text: <what>" / "Hide quoted text" when something is set apart. The full message is
 * always what is stored.
 */
export async function inboundEmailDocument(
  member: { workspaceId: string; workspaceSlug: string },
  messageId: string,
  options: { quoted: boolean; images?: boolean },
) {
  const which = { workspaceId: member.workspaceId, messageId }
  const html = await getMessageHtml(getDb(), which)
  if (!html) return undefined
  const files = await listMessageAttachmentHashes(getDb(), which)
  const bySha = new Map(files.map((f) => [f.sha256, f.id]))
  let body = html.replace(/<img\b[^>]*>/gi, (tag) => {
    const src = /\ssrc=(["'])(.*?)\1/i.exec(tag)
    if (!src || !/^cid:/i.test(src[2])) return tag
    const id = bySha.get(/^cid:([0-9a-f]{64})$/.exec(src[2])?.[1] ?? '')
    if (id) return tag.replace(src[0], ` src=${src[1]}/w/${member.workspaceSlug}/attachments/${id}${src[1]}`)
    // The email's own part was not kept (over the file limit, refused, or never sent with it):
    // say so in its place instead of a broken image. The sanitizer wrote `alt` escaped.
    const alt = /\salt=(["'])(.*?)\1/i.exec(tag)?.[2].trim()
    return `<span class="sb-missing-image">[Image not kept${alt ? `: ${alt}` : ''}]</span>`
  })
  const quoted = quotedParts(body)
  if (quoted && !options.quoted) {
    for (const at of quoted.hiddenAt.toSorted((a, b) => b - a)) {
      body = `${body.slice(0, at)} data-sb-quoted${body.slice(at)}`
    }
  }
  const images = options.images === true
  const href = (next: { quoted: boolean; images: boolean }) => {
    const query = [next.quoted ? 'quoted=1' : '', next.images ? 'images=1' : ''].filter(Boolean).join('&amp;')
    return `/w/${member.workspaceSlug}/messages/${messageId}/email${query ? `?${query}` : ''}`
  }
  const link = (next: { quoted: boolean; images: boolean }, text: string) =>
    `<a href="${href(next)}" target="_self">${escapeHtml(text)}</a>`
  const top =
    hasRemoteImages(body) && !images
      ? `<p class="sb-controls">Remote images are blocked. ${link({ quoted: options.quoted, images: true }, 'Load images')}</p>`
      : ''
  const bottom = quoted
    ? `<p class="sb-controls">${
        options.quoted
          ? link({ quoted: false, images }, 'Hide quoted text')
          : link({ quoted: true, images }, `Show quoted text: ${quoted.label}`)
      }</p>`
    : ''
  // The sanitizer wrote the body's style escaped, from its allow-list (colours, no url()).
  const style = bodyStyle(html)
  return `<!doctype html><html><head><meta charset="utf-8"><base target="_blank"><style>${FRAME_CSS}</style></head><body${style ? ` style="${style}"` : ''}>${top}${body}${bottom}</body></html>`
}

const FRAME_CSS =
  'body{font:14px/1.5 system-ui,sans-serif;margin:8px;color:#0f172a;background:#fff;word-wrap:break-word}' +
  'img{max-width:100%;height:auto}' +
  '.sb-missing-image{display:inline-block;padding:2px 6px;border:1px dashed #94a3b8;border-radius:4px;color:#475569;font-size:12px}' +
  '[data-sb-quoted]{display:none!important}' +
  '.sb-controls{margin:8px 0;padding:4px 8px;border-radius:4px;background:#f1f5f9;color:#334155;font:12px/1.5 system-ui,sans-serif}' +
  '.sb-controls a{color:#4338ca;text-decoration:underline}'

function escapeHtml(text: string) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
