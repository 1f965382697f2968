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
/**
 * What a text must hold before its runs are decoded and looked at: one of the words (in any case),
 * or something that may hide one (a percent-escape, a link-protection service, a character that
 * shows as nothing).
 */
const HINT =
  /support|invite|reset-password|verify-email|unsubscribe|%[0-9a-f]{2}|urldefense|&[#a-z]|[\u00AD\u200B-\u200F\u2060-\u2064\uFEFF]/i
/** Characters that show as nothing (a soft hyphen, zero-width spaces and joiners, a BOM). */
const INVISIBLE = /[\u00AD\u200B-\u200F\u2060-\u2064\uFEFF]/g
/** The same written as HTML character references (sanitize-html's text filter sees them so). */
const INVISIBLE_REFERENCE =
  /&(?:shy|ZeroWidthSpace|zwn?j|#x0*(?:ad|200[b-f]|feff)|#0*(?:173|820[3-7]|65279));/gi
/**
 * A token route's path at the end of a line and a token-sized word opening the next, after the
 * quote marks (`> View this conversation http://…/support/t/` + `> <token> · Ticket #1`): a mail
 * program wrapped the link when it quoted it. Joined, so the link is found whole.
 */
const WRAPPED =
  /([/\\](?:support[/\\]+t|invite|reset-password|verify-email|notifications[/\\]+unsubscribe)[/\\]+)[ \t]*\r?\n[> \t]*(?=[\w-]{20})/gi

/**
 * A run of characters a URL may hold, written as is or percent-encoded inside another URL (a
 * mail provider's link protection: `…safelinks…?url=http%3A%2F%2F…%2Fsupport%2Ft%2F<token>&…`).
 * No quote, backslash, angle bracket or space: a replaced run never changes how a JSON string or
 * an HTML attribute around it ends.
 */
const URL_RUN = /[\w.~:/?#[\]@!$&'()*+,;=%\u00AD\u200B-\u200F\u2060-\u2064\uFEFF-]+/g
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
  if (!HINT.test(text)) return text
  return text.replace(WRAPPED, '$1').replace(URL_RUN, (run) => {
    if (!holdsToken(decoded(run))) return run
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

/**
 * The run as a browser would read its path: HTML's `&amp;` and up to three layers of
 * percent-encoding undone, a Proofpoint URL Defense v2 link's own encoding too (`-3A` for `:`,
 * `_` for `/`), characters that show as nothing dropped and `.` / `..` path segments resolved.
 */
function decoded(run: string) {
  let out = run.replace(/&amp;/gi, '&')
  for (let i = 0; i < 3 && out.includes('%'); i++) {
    const next = percentDecoded(out)
    if (next === out) break
    out = next
  }
  // Proofpoint v2 (`https://urldefense.proofpoint.com/v2/url?u=http-3A__host_support_t_<token>&d=…`).
  if (/urldefense/i.test(out)) {
    out = out.replace(
      /([?&]u=)([^&]*)/gi,
      (_whole, key: string, url: string) =>
        key + percentDecoded(url.replace(/_/g, '/').replace(/-([0-9a-f]{2})/gi, '%$1')),
    )
  }
  out = out.replace(INVISIBLE, '').replace(INVISIBLE_REFERENCE, '')
  // `/support/./t/…`, `/x/../support/t/…`: resolved as a browser resolves them.
  for (let i = 0; i < 8; i++) {
    const next = out.replace(/[/\\]\.(?=[/\\]|$)|[/\\][^/\\]+[/\\]\.\.(?=[/\\]|$)/, '')
    if (next === out) break
    out = next
  }
  return out
}

function percentDecoded(text: string) {
  return text.replace(/(?:%[0-9a-f]{2})+/gi, (escaped) => {
    try {
      return decodeURIComponent(escaped)
    } catch {
      return escaped
    }
  })
}

/** What may stand between two characters of a token (matching none): see TOKEN_PIECE. */
const BETWEEN = String.raw`${INVISIBLE.source}|${INVISIBLE_REFERENCE.source}|[ \t]*\r?\n[> \t]*|<\/?[a-z]+\s*\/?>`
/**
 * One character of a token as a text may write it: itself, a percent-escape of it (twice encoded
 * too) or an HTML character reference; or, matching no character, what may stand between two of
 * its characters: a character that shows as nothing (or its reference), a line break with the
 * quote marks after it, a bare tag (`<wbr>`, `</span>`).
 */
const TOKEN_PIECE = new RegExp(
  String.raw`([A-Za-z0-9_-])|%(?:25)?([0-9a-f]{2})|&#(?:x([0-9a-f]{1,4})|(\d{1,5}));|${BETWEEN}`,
  'giy',
)
/** The same, read as Proofpoint URL Defense v2 writes a link: `-5F` for `_`, `-2D` for `-`. */
const PROOFPOINT_PIECE = new RegExp(
  String.raw`-(5F|2D)|([A-Za-z0-9_])|%(?:25)?([0-9a-f]{2})|&#(?:x([0-9a-f]{1,4})|(\d{1,5}));|${BETWEEN}`,
  'giy',
)

/**
 * The text with every occurrence of these tokens (our links' secrets, all of one length) replaced
 * by PRIVATE_LINK_REMOVED, however the text writes them: as they are, percent-encoded, in
 * Proofpoint's encoding, broken over quoted lines, with soft hyphens or bare tags between their
 * characters. Only the token's own characters go (what stood between them stays, so HTML keeps its
 * tags), whatever surrounds it: a link no pattern recognizes still opens nothing. Text without
 * one is returned as it was.
 */
export function withoutTokens(text: string, tokens: ReadonlySet<string>) {
  const length = tokens.values().next().value?.length
  if (!length || text.length < length) return text
  return tokensCut(tokensCut(text, tokens, length, TOKEN_PIECE), tokens, length, PROOFPOINT_PIECE)
}

function tokensCut(text: string, tokens: ReadonlySet<string>, length: number, pieces: RegExp) {
  // The token characters of the current run, and where the text writes each.
  let run = ''
  let starts: number[] = []
  let ends: number[] = []
  const found: Array<{ starts: number[]; ends: number[] }> = []
  const look = () => {
    for (let i = 0; i + length <= run.length; i++) {
      if (!tokens.has(run.slice(i, i + length))) continue
      found.push({ starts: starts.slice(i, i + length), ends: ends.slice(i, i + length) })
      i += length - 1
    }
    run = ''
    starts = []
    ends = []
  }
  const dashIsChar = pieces === TOKEN_PIECE
  for (let at = 0; at < text.length;) {
    const code = text.charCodeAt(at)
    // Most characters are plain: a letter, a digit or `_` (and `-` unless it may start `-2D`).
    if (isPlainTokenChar(code) || (dashIsChar && code === 45)) {
      run += text[at]
      starts.push(at)
      ends.push(++at)
      continue
    }
    pieces.lastIndex = at
    const piece = pieces.exec(text)
    const char = piece ? pieceChar(piece) : undefined
    if (!piece || char === null) look()
    else if (char !== undefined) {
      run += char
      starts.push(at)
      ends.push(at + piece[0].length)
    }
    at += piece?.[0].length || 1
  }
  look()
  if (found.length === 0) return text
  let out = ''
  let from = 0
  for (const token of found) {
    for (let i = 0; i < length; i++) {
      out += text.slice(from, token.starts[i]) + (i === 0 ? PRIVATE_LINK_REMOVED : '')
      from = token.ends[i]!
    }
  }
  return out + text.slice(from)
}

/** `A`–`Z`, `a`–`z`, `0`–`9` or `_`. */
function isPlainTokenChar(code: number) {
  return (
    (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 95
  )
}

/**
 * The character a piece writes: a token's, null for any other (which ends a run), undefined for
 * what stands between two.
 */
function pieceChar(piece: RegExpExecArray) {
  const value = piece.slice(1).find((group) => group !== undefined)
  if (value === undefined) return undefined
  const whole = piece[0]
  const char =
    whole.length === 1 ? value : String.fromCharCode(parseInt(value, /^&#\d/.test(whole) ? 10 : 16))
  return /^[\w-]$/.test(char) ? char : null
}
