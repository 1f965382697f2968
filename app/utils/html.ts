const SPECIAL = /[&<>"']/
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#x27;',
}

/**
 * Text or an attribute's value made safe for HTML, escaped exactly as React's server renderer
 * escapes it (the queue's rows, written as text, must be React's bytes: row-html.ts).
 */
export function escapeHtml(text: string) {
  return SPECIAL.test(text) ? text.replace(/[&<>"']/g, (c) => ESCAPES[c]) : text
}
