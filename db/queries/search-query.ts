// What a search reads of the words typed, shared by the inbox's search (queue.ts) and the API's
// (api-tickets.ts). No imports: the bench's bare server loads api-tickets.ts, and this, as they are.

/** A search reads this many characters of what was typed, cut between words. */
export const SEARCH_QUERY_CHARS = 200

export type SearchQuery = {
  /** What was typed, trimmed and cut (the customers' name and email match this). */
  text: string
  /** `text` as websearch_to_tsquery should read it (see TAG). */
  tsText: string
  /** Whether `text` is shorter than what was typed. */
  cut: boolean
}

/**
 * What PostgreSQL's text search parser (to_tsvector, which makes tickets.search) reads as an
 * HTML or XML tag and leaves out of the document: a comment, `<script>`/`<style>` with what they
 * hold, and a tag with its attributes. websearch_to_tsquery does not: it reads `<b>refund</b>`
 * as 'b' <-> 'refund' & '/b', which no ticket holds, so a search for text pasted from a ticket
 * with such a tag found nothing. Close to the parser's rules, not all of them (`<!doc x>` is a tag
 * to it, `<b c=d@e>` is not); tests/integration/search-query.test.ts compares the two.
 */
const TAG =
  /<!--[\s\S]*?(?:-->|$)|<(script|style)(?=[\s/>])[^>]*>[\s\S]*?(?:<\/\1\s*>|$)|<!doctype(?:\s[^<>]*)?>|<[/?]?[A-Za-z_:][-\w:.]*(?:\s+[-\w:.]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[-\w:.#/?&%;+,]*))?)*\s*[/?]?>/gi

/**
 * The search a box's text asks for, or undefined for none (only spaces). Over SEARCH_QUERY_CHARS
 * it is cut before the word the limit falls in (a fragment such as "refu" would be a word every
 * match must hold, and found nothing), never inside a surrogate pair, and without a quote left
 * opening nothing at its end.
 */
export function searchQuery(typed: string | undefined): SearchQuery | undefined {
  const trimmed = typed?.trim()
  if (!trimmed) return undefined
  let text = trimmed
  const cut = trimmed.length > SEARCH_QUERY_CHARS
  if (cut) {
    const end = isHighSurrogate(trimmed.charCodeAt(SEARCH_QUERY_CHARS - 1))
      ? SEARCH_QUERY_CHARS - 1
      : SEARCH_QUERY_CHARS
    text = trimmed.slice(0, end)
    if (!/\s/.test(trimmed[end]!)) {
      // The limit falls inside a word: drop it, unless it is the only one.
      const space = text.search(/\s\S*$/)
      if (space > 0) text = text.slice(0, space)
    }
    text = text.trimEnd()
    if (text.endsWith('"') && (text.match(/"/g)?.length ?? 0) % 2 === 1) text = text.slice(0, -1).trimEnd()
  }
  if (!text) return undefined
  return { text, tsText: text.replace(TAG, ' '), cut }
}

/** `#123` searches for ticket 123 (the inbox's search opens it). */
export function ticketNumberSearched(text: string | undefined) {
  const match = text?.match(/^#(\d{1,9})$/)
  return match ? Number(match[1]) : undefined
}

function isHighSurrogate(code: number) {
  return code >= 0xd800 && code <= 0xdbff
}
