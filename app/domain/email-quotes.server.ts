import { EMAIL_BODY_CLASS } from './email-html.server.ts'

/**
 * Which parts of a stored (sanitized) email's HTML are the quoted history below what the
 * customer wrote, as the plain-text split decides it (splitQuotedText): only the tail is set
 * apart. A quote container of the common mail clients (Gmail, Apple Mail and Thunderbird's
 * `blockquote type=cite`, Outlook on the web's `#appendonsend`/`#divRplyFwdMsg` and what follows,
 * Yahoo, Proton, a Gmail signature) is hidden only when nothing the customer wrote comes after
 * it: answers written between Gmail's quoted lines keep their questions. A forward (Gmail's
 * "---------- Forwarded message ---------", Apple Mail's "Begin forwarded message:", Outlook's
 * "Subject: FW:") is content, never hidden, and so is an email that is all quote.
 *
 * The sanitizer's output is regular (every `<` starts a tag, attributes are double-quoted with
 * `"` and `>` escaped, every element is closed), so a tokenizer reads it whole.
 */

type Element = {
  name: string
  attrs: string
  /** Where its start tag's name ends: attributes are inserted there. */
  nameEnd: number
  children: Node[]
  parent: Element | undefined
}
type Node = Element | { text: string }

const VOID = new Set(['br', 'img', 'hr', 'col', 'wbr'])
const TOKEN = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>|[^<]+/g

function parse(html: string) {
  const root: Element = { name: '#root', attrs: '', nameEnd: 0, children: [], parent: undefined }
  let current = root
  for (const match of html.matchAll(TOKEN)) {
    const [token, closing, rawName, attrs] = match
    if (rawName === undefined) {
      current.children.push({ text: decode(token) })
      continue
    }
    const name = rawName.toLowerCase()
    if (closing) {
      let open: Element | undefined = current
      while (open && open.name !== name) open = open.parent
      if (open?.parent) current = open.parent
      continue
    }
    const element: Element = {
      name,
      attrs: attrs ?? '',
      nameEnd: match.index + 1 + rawName.length,
      children: [],
      parent: current,
    }
    current.children.push(element)
    if (!VOID.has(name) && !attrs?.endsWith('/')) current = element
  }
  return root
}

function decode(text: string) {
  return text
    .replace(/&nbsp;|&#160;|&#xa0;/gi, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
}

function attr(element: Element, name: string) {
  return new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(element.attrs)?.[1]
}

function hasClass(element: Element, name: string) {
  return (attr(element, 'class') ?? '').split(/\s+/).includes(name)
}

type Kind = 'quote' | 'signature'

/** The quote container an element is, and whether its following siblings are quoted too. */
function quoteKind(element: Element): { kind: Kind; self: boolean; following: boolean } | undefined {
  const id = attr(element, 'id')
  if (id === 'appendonsend') return { kind: 'quote', self: false, following: true }
  if (id === 'divRplyFwdMsg') return { kind: 'quote', self: true, following: true }
  if (hasClass(element, 'gmail_signature')) return { kind: 'signature', self: true, following: false }
  if (
    hasClass(element, 'gmail_quote') ||
    hasClass(element, 'moz-cite-prefix') ||
    hasClass(element, 'yahoo_quoted') ||
    hasClass(element, 'protonmail_quote') ||
    (element.name === 'blockquote' && attr(element, 'type')?.toLowerCase() === 'cite')
  ) {
    return { kind: 'quote', self: true, following: false }
  }
  return undefined
}

const BLOCK = /^(?:div|p|br|hr|tr|li|blockquote|table|h[1-6]|pre|dd|dt)$/

function textOf(node: Node): string {
  if ('text' in node) return node.text
  const text = node.children.map(textOf).join('')
  return BLOCK.test(node.name) ? `\n${text}\n` : text
}

/** Text or an image: what counts as something the customer wrote. */
function hasContent(node: Node): boolean {
  if ('text' in node) return node.text.trim() !== ''
  // A tracking pixel after the quote is not something the customer wrote.
  if (node.name === 'img') return !/\s(?:width|height)="[01](?:px)?"/.test(node.attrs)
  if (/\sstyle="[^"]*display:\s*none/i.test(node.attrs)) return false
  return node.children.some(hasContent)
}

const FORWARD_INSIDE =
  /^\s*(?:-{3,}\s*)?(?:Forwarded message|Begin forwarded message|Weitergeleitete Nachricht|Message transféré|Mensaje reenviado)|\bSubject:\s*(?:FW|Fwd|WG|TR|RV|VS)\s*:/i
const FORWARD_BEFORE =
  /(?:Forwarded message|Begin forwarded message|Weitergeleitete Nachricht|Message transféré|Mensaje reenviado)[\s:-]*$/i

type Block = { kind: Kind; elements: Element[]; attribution: string }
type Content = { content: boolean; text: string }

/**
 * The document's quote blocks in order, and the content between them, as a flat sequence.
 * A Gmail container whose own lines continue after its first quoted part (answers written
 * between the quoted lines) is not a block: its inner quotes are looked at one by one. A
 * forward's block is content.
 */
function sequence(root: Element) {
  const items: Array<Block | Content> = []
  const walk = (element: Element) => {
    let following: Block | undefined
    for (const child of element.children) {
      if (following) {
        // Outlook on the web: everything after its marker is the quoted message.
        if (!('text' in child)) following.elements.push(child)
        continue
      }
      if ('text' in child) {
        items.push({ content: hasContent(child), text: child.text })
        continue
      }
      const quote = quoteKind(child)
      if (!quote || hasOwnLines(child)) {
        if (child.children.length > 0) walk(child)
        else items.push({ content: hasContent(child), text: '' })
        continue
      }
      const block: Block = { kind: quote.kind, elements: quote.self ? [child] : [], attribution: '' }
      items.push(block)
      if (quote.following) following = block
    }
  }
  walk(root)
  return items.map((item, i) => {
    if (!('kind' in item)) return item
    const text = item.elements.map(textOf).join(' ').replace(/\s+/g, ' ').trim()
    const before = items.slice(0, i).findLast((b): b is Content => !('kind' in b) && b.text.trim() !== '')
    if (FORWARD_INSIDE.test(text.slice(0, 400)) || (before && FORWARD_BEFORE.test(before.text))) {
      return { content: text !== '', text }
    }
    const wrote = /^(.{0,160}?(?:wrote|schrieb|a écrit|escribió)\s*:)/i.exec(text)?.[1]
    const outlook = /^.{0,40}?From:\s*(.{1,80}?)\s+(?:Sent|Date):/i.exec(text)?.[1]
    item.attribution = wrote ?? (outlook ? `From: ${outlook}` : '')
    return item
  })
}

/** A Gmail quote container with lines of the customer's after its first quoted part. */
function hasOwnLines(element: Element) {
  if (!hasClass(element, 'gmail_quote') || element.name === 'blockquote') return false
  const firstQuote = element.children.findIndex((child) => !('text' in child) && quoteKind(child))
  if (firstQuote === -1) return false
  return element.children
    .slice(firstQuote + 1)
    .some((child) => ('text' in child || !quoteKind(child)) && hasContent(child))
}

export type QuotedParts = {
  /** Where to insert an attribute into the start tag of each hidden element. */
  hiddenAt: number[]
  /** What is hidden, for the link: "signature", "earlier message (On …, Ann wrote:)". */
  label: string
}

/** The quoted tail of an email's HTML, or nothing when none is set apart. */
export function quotedParts(html: string): QuotedParts | undefined {
  const items = sequence(parse(html))
  let tail = items.length
  while (tail > 0) {
    const item = items[tail - 1]!
    if ('kind' in item || !item.content) tail--
    else break
  }
  // All quote (a bare forward, or nothing typed above the history): shown whole.
  if (!items.slice(0, tail).some((item) => !('kind' in item) && item.content)) return undefined
  const blocks = items.slice(tail).filter((item): item is Block => 'kind' in item)
  if (blocks.length === 0) return undefined
  const quote = blocks.find((block) => block.kind === 'quote')
  const parts = [
    ...(blocks.some((block) => block.kind === 'signature') ? ['signature'] : []),
    ...(quote ? [`earlier message${quote.attribution ? ` (${quote.attribution})` : ''}`] : []),
  ]
  return {
    hiddenAt: blocks.flatMap((block) => block.elements.map((element) => element.nameEnd)),
    label: parts.join(' and '),
  }
}

/** The colours of the email's own <body> (kept by the sanitizer as a div), for the frame's. */
export function bodyStyle(html: string) {
  return new RegExp(`^\\s*<div class="${EMAIL_BODY_CLASS}" style="([^"]*)"`).exec(html)?.[1]
}

/** Whether the email shows an image from elsewhere (blocked until "Load images"). */
export function hasRemoteImages(html: string) {
  return /<img\b[^>]*\ssrc="https?:/i.test(html)
}
