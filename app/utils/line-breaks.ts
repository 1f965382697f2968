/**
 * A text's line breaks as `\n`: CRLF, which browsers post for a textarea (HTML's form submission
 * normalizes line breaks so), and a lone CR alike.
 */
export function withLfLineBreaks(text: string) {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text
}
