import { BlockList, isIP } from 'node:net'

/**
 * Where outbound webhooks may go (the SSRF guard's rules). Checked twice: when an endpoint is
 * saved (a friendly error) and at delivery time on every resolved address (the real guard:
 * DNS can change between the two, see webhook-http.server.ts).
 */
export type WebhookPolicy = {
  /** http:// too (local development and tests); otherwise https only. */
  allowHttp: boolean
  /**
   * Hosts an operator allows explicitly although they are internal: `host` (any port) or
   * `host:port`, lower case, IPv6 in brackets. Their addresses are not checked.
   */
  allowedHosts: string[]
}

/** Blocked IPv4 ranges (IANA special-purpose registry): nothing a public webhook receiver uses. */
const IPV4_BLOCKED: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'this-network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
]

/**
 * Blocked IPv6 ranges (IANA special-purpose registry). IPv4-mapped, IPv4-translated, NAT64 and
 * 6to4 forms are unwrapped and checked as IPv4 before these.
 */
const IPV6_BLOCKED: Array<[string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'IPv4-compatible'],
  // RFC 8215: a network's own NAT64 prefix, translating into whatever IPv4 network it serves
  // (its private ranges included), with the IPv4 address at a place the prefix length decides.
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard'],
  // Teredo (2001::/32, which carries an IPv4 server and client), ORCHID, AMT, AS112…: tunnels
  // and protocol assignments, no webhook receiver.
  ['2001::', 23, 'IETF protocol assignments'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'segment routing'],
  ['fc00::', 7, 'unique local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
]

const ipv4Reasons = IPV4_BLOCKED.map(([network, prefix, reason]) => {
  const list = new BlockList()
  list.addSubnet(network, prefix, 'ipv4')

  return { list, reason }
})
const ipv6Reasons = IPV6_BLOCKED.map(([network, prefix, reason]) => {
  const list = new BlockList()
  list.addSubnet(network, prefix, 'ipv6')
  return { list, reason }
})

/** The 8 groups of an IPv6 address as numbers (accepts `::` and a trailing dotted IPv4). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().split('%')[0]!
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number]
    text = text.slice(0, -dotted[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined]
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const missing = tail === undefined ? 0 : 8 - left.length - right.length
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((g) => parseInt(g || '0', 16))
}

function embeddedIpv4(high: number, low: number) {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`
}

/**
 * Why `address` (an IP literal) may not receive webhooks, or null when it may. IPv6 forms that
 * carry an IPv4 address (::ffff:a.b.c.d, ::ffff:0:a.b.c.d, 64:ff9b::/96 NAT64, 2002::/16 6to4)
 * are judged by it; the local-use NAT64 prefix and Teredo, whose IPv4 address cannot be read
 * reliably, are refused whole.
 */
export function forbiddenAddressReason(address: string): string | null {
  const family = isIP(address)
  if (family === 4) {
    const hit = ipv4Reasons.find(({ list }) => list.check(address, 'ipv4'))
    return hit ? hit.reason : null
  }
  if (family !== 6) return 'not an IP address'
  const g = ipv6Groups(address)
  const isMapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff
  // ::ffff:0:a.b.c.d (SIIT, RFC 2765's IPv4-translated form).
  const isTranslated = g.slice(0, 4).every((x) => x === 0) && g[4] === 0xffff && g[5] === 0
  const isNat64 = g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)
  if (isMapped || isTranslated || isNat64) return forbiddenAddressReason(embeddedIpv4(g[6]!, g[7]!))
  if (g[0] === 0x2002) return forbiddenAddressReason(embeddedIpv4(g[1]!, g[2]!))
  const normalized = g.map((x) => x.toString(16)).join(':')
  const hit = ipv6Reasons.find(({ list }) => list.check(normalized, 'ipv6'))
  return hit ? hit.reason : null
}

/** `host` without IPv6 brackets. */
export function bareHost(hostname: string) {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
}

/** Whether the URL's host (with or without its port) is in the operator's allow-list. */
export function isAllowedHost(url: URL, policy: WebhookPolicy) {
  const host = url.hostname.toLowerCase()
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  return policy.allowedHosts.some((entry) => entry === host || entry === `${host}:${port}`)
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string }

/**
 * The static checks of a webhook URL: a parseable absolute URL, https (or http when allowed), no
 * credentials, and, for an IP literal, a public address. The WHATWG parser has already turned
 * `0x7f000001`, `2130706433`, `0177.0.0.1` and `[::ffff:127.0.0.1]` into canonical addresses.
 * Host names are checked after resolution, at delivery time.
 */
/** RFC 3986's unreserved characters: percent-encoding one changes nothing (§6.2.2.2). */
const ENCODED_UNRESERVED = /%(4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a]|3[0-9]|2d|2e|5f|7e)/gi

/**
 * The URL in the one spelling equivalent ones share (RFC 3986 §6.2.2, on top of WHATWG URL's
 * parsing): unreserved characters decoded (`/%64up` is `/dup`), the hex of other escapes upper
 * case, an empty query (`…/hook?`) dropped. Stored so, the duplicate check sees one endpoint.
 */
function normalizeEncoding(url: URL) {
  const normal = (part: string) =>
    part
      .replace(ENCODED_UNRESERVED, (escape) => String.fromCharCode(parseInt(escape.slice(1), 16)))
      .replace(/%[0-9a-f]{2}/gi, (escape) => escape.toUpperCase())
  url.pathname = normal(url.pathname)
  url.search = url.search === '?' ? '' : normal(url.search)
}

export function checkWebhookUrl(raw: string, policy: WebhookPolicy): UrlCheck {
  if (!URL.canParse(raw))
    return { ok: false, reason: 'Enter an absolute URL such as https://example.com/hooks' }
  const url = new URL(raw)
  if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:')) {
    return { ok: false, reason: policy.allowHttp ? 'Use an http or https URL' : 'Use an https:// URL' }
  }
  if (url.username || url.password) return { ok: false, reason: 'Leave credentials out of the URL' }
  // A fragment is never sent with a request: `…/hook#a` would be a second endpoint for the same
  // receiver (the duplicate check compares stored URLs), each event sent to it twice.
  if (url.href.includes('#')) {
    return { ok: false, reason: 'Leave out the fragment (#…): it is not sent with a webhook POST' }
  }
  normalizeEncoding(url)
  // Port 0 names no port: nothing can listen there, every delivery would fail.
  if (url.port === '0') return { ok: false, reason: 'Use a port from 1 to 65535' }
  // A trailing dot is the same name (`example.com.` is `example.com`): stored without it, so
  // the duplicate check (on the stored URL) sees one endpoint, and `localhost.` is loopback.
  const named = url.hostname.replace(/\.+$/, '')
  if (named !== url.hostname) {
    if (!named) return { ok: false, reason: 'Enter an absolute URL such as https://example.com/hooks' }
    url.hostname = named
  }
  if (isAllowedHost(url, policy)) return { ok: true, url }
  const host = bareHost(url.hostname)
  if (isIP(host)) {
    const reason = forbiddenAddressReason(host)
    if (reason) return { ok: false, reason: `That address is not reachable from here (${reason})` }
  } else if (host === 'localhost' || host.endsWith('.localhost')) {
    return { ok: false, reason: 'That address is not reachable from here (loopback)' }
  }
  return { ok: true, url }
}
