const SURROGATE = /[\ud800-\udfff]/
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/**
 * The text with every lone surrogate replaced by U+FFFD, as a UTF-8 decoder would make it
 * (unchanged, and not copied, without one). JSON may carry them (`"\ud800"`); UTF-8 and
 * PostgreSQL's jsonb cannot.
 */
export function wellFormed(text: string) {
  return SURROGATE.test(text) ? text.replace(LONE_SURROGATE, '\ufffd') : text
}

/** The text without NUL characters, which PostgreSQL's text cannot hold (not copied without one). */
export function withoutNulText(text: string) {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '') : text
}

/**
 * The first `end` UTF-16 units of `text`, one fewer when the cut would split a surrogate pair
 * (an emoji): half a pair becomes U+FFFD in the page's HTML but stays half a pair in its
 * hydration data, and React then throws the server's HTML away (a hydration mismatch).
 */
export function sliceWhole(text: string, end: number) {
  if (end <= 0) return ''
  if (text.length <= end) return text
  const last = text.charCodeAt(end - 1)
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end)
}
