/**
 * The response init of a form's refusal by a rate limit: 429 and a Retry-After of the limit's
 * window, the wait the page's message names ("Wait 15 minutes"): by then the refused attempts
 * have left the sliding window. A page without JavaScript gets the header too (app/entry.server.tsx
 * carries an action's Retry-After onto the document).
 */
export function limitRefusal(limit: { windowMs: number }) {
  return { status: 429, headers: { 'Retry-After': String(Math.ceil(limit.windowMs / 1000)) } }
}
