// Our own private links in text that came from outside (an email's quoted history): found and
// replaced. Imports nothing: the inbound parse thread uses it (email-html.server.ts).

/** What stands where a private link was. */
export const PRIVATE_LINK_REMOVED = '[private link removed]'

/**
 * The routes whose next segment is a secret (loggablePath's list in logger.server.ts, less the
 * Inbound Parse webhook's, which no email of ours carries): a customer's page, an invitation, a
 * password reset, an email confirmation, an unsubscribe link.
 */
const TOKEN_PATH =
  /[/\\](?:support[/\\]+t|invite|reset-password|verify-email|notifications[/\\]+unsubscribe)[/\\]+([\w-]+)/gi
/** Our tokens are 43 characters (256 bits, base64url); shorter segments are other sites' words. */
const MIN_TOKEN_CHARS = 20
/** Words a run must hold, in any case or encoding, before it is decoded and looked at. */
const TOKEN_WORD = /support|invite|reset-password|verify-email|unsubscribe/i

/**
 * A run of characters a URL may hold, written as is or percent-encoded inside another URL (a
 * mail provider's link protection: `…safelinks…?url=http%3A%2F%2F…%2Fsupport%2Ft%2F<token>&…`).
 * No quote, backslash, angle bracket or space: a replaced run never changes how a JSON string or
 * an HTML attribute around it ends.
 */
const URL_RUN = /[\w.~:/?#[\]@!$&'()*+,;=%-]+/g
/** Where a link starts inside a run (`here:http://…`). */
const LINK_START = /https?:|www\./i
/** Punctuation around a link in prose, which stays. */
const LEADING = /^[([']+/
const TRAILING = /[.,;:!?)\]'*]+$/

/**
 * The text with every link to one of our token routes replaced by PRIVATE_LINK_REMOVED: a
 * customer's page (`/support/t/<token>`), an invitation, a password reset, an email confirmation,
 * an unsubscribe link, whatever host names it (APP_URL, an earlier APP_URL, a proxy's) and however
 * it is encoded (percent-encoded inside another link, HTML's `&amp;`). A customer answering our
 * email quotes it, with its "View this conversation" link, and whoever the text then reaches
 * (a CC on the next reply, the AI provider, an integration) could read the thread and answer as the
 * customer. Text without such a link is returned as it was (not copied).
 */
export function withoutPrivateLinks(text: string) {
  if (!TOKEN_WORD.test(text)) return text
  return text.replace(URL_RUN, (run) => {
    if (!TOKEN_WORD.test(run) || !holdsToken(decoded(run))) return run
    const found = LINK_START.exec(run)?.index ?? 0
    // From the scheme on, unless the secret came before it (`…/support/t/<token>?next=http…`).
    const at = found > 0 && holdsToken(decoded(run.slice(found))) ? found : 0
    const link = run.slice(at)
    const start = at + (at === 0 ? (LEADING.exec(link)?.[0].length ?? 0) : 0)
    const end = run.length - (TRAILING.exec(run)?.[0].length ?? 0)
    return end > start ? run.slice(0, start) + PRIVATE_LINK_REMOVED + run.slice(end) : run
  })
}

/** Whether a (decoded) link holds a token route's path with a token-sized secret after it. */
function holdsToken(link: string) {
  for (const match of link.matchAll(TOKEN_PATH)) if (match[1]!.length >= MIN_TOKEN_CHARS) return true
  return false
}

/** The run with HTML's `&amp;` and up to three layers of percent-encoding undone. */
function decoded(run: string) {
  let out = run.replace(/&amp;/gi, '&')
  for (let i = 0; i < 3 && out.includes('%'); i++) {
    const next = out.replace(/(?:%[0-9a-f]{2})+/gi, (escaped) => {
      try {
        return decodeURIComponent(escaped)
      } catch {
        return escaped
      }
    })
    if (next === out) break
    out = next
  }
  return out
}
