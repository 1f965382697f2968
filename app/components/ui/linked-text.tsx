import { Fragment } from 'react'

/**
 * http(s) URLs and bare `www.` addresses in plain text, up to white space or a character a URL in
 * running text does not hold (`<`, `>`, `"`, a backtick). Nothing else becomes a link: no other
 * scheme (`javascript:`, `data:`, `mailto:`) can, whatever the text says.
 */
const URL_IN_TEXT = /\b(?:https?:\/\/|www\.)[^\s<>"`]+/gi

/** Punctuation that ends a sentence rather than the URL (`see https://x.test/a.`). */
const TRAILING = /[.,;:!?'*_]+$/

/**
 * Splits plain text into its text and its links: each URL with its href (a bare `www.` one
 * gets https://). A closing parenthesis ends the URL unless the URL opened one itself
 * (`(see https://x.test/a)` against `https://en.wikipedia.org/wiki/Foo_(bar)`).
 */
export function linkedParts(text: string): Array<string | { url: string; href: string }> {
  const parts: Array<string | { url: string; href: string }> = []
  let at = 0
  for (const match of text.matchAll(URL_IN_TEXT)) {
    let url = match[0]
    for (;;) {
      const trimmed = url.replace(TRAILING, '')
      const unbalanced =
        trimmed.endsWith(')') && (trimmed.match(/\(/g)?.length ?? 0) < (trimmed.match(/\)/g)?.length ?? 0)
      const next = unbalanced ? trimmed.slice(0, -1) : trimmed
      if (next === url) break
      url = next
    }
    // `www.` alone, or a scheme with nothing after it, is not an address.
    if (!/^(?:https?:\/\/|www\.)[^./]/i.test(url)) continue
    if (match.index > at) parts.push(text.slice(at, match.index))
    parts.push({ url, href: /^www\./i.test(url) ? `https://${url}` : url })
    at = match.index + url.length
  }
  if (at < text.length) parts.push(text.slice(at))
  return parts
}

/**
 * Plain text (a customer's email, an agent's reply) with its web addresses as links that open
 * in a new tab, tell the site nothing of the page (`noopener noreferrer`) and lend it no standing
 * (`nofollow`: the text is anyone's). The text stays text: React escapes it, as before.
 */
export function LinkedText({ text }: { text: string }) {
  return linkedParts(text).map((part, i) =>
    typeof part === 'string' ? (
      <Fragment key={i}>{part}</Fragment>
    ) : (
      <a
        key={i}
        href={part.href}
        target="_blank"
        rel="noopener noreferrer nofollow"
        className="text-blue-700 underline [overflow-wrap:anywhere] dark:text-blue-300"
      >
        {part.url}
      </a>
    ),
  )
}
