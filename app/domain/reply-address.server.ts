import { randomBytes } from 'node:crypto'
import { env } from '#app/env.server.ts'

/** RFC 4648 base32, lower-cased: case-insensitive mail systems cannot change its meaning. */
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

/** 20 characters of 5 bits: 100 random bits. */
export const REPLY_TOKEN_LENGTH = 20
export const REPLY_TOKEN = /^[a-z2-7]{20}$/

/** RFC 5321 section 4.5.3.1.1: a local part is at most 64 octets. */
export const MAX_LOCAL_PART = 64

/**
 * A ticket's reply token: 100 random bits as 20 lower-case base32 characters. It routes a reply
 * to its ticket; it authenticates nobody (anyone who sees an email can write to the address, and
 * inbound mail from a non-participant is flagged, not trusted).
 */
export function newReplyToken() {
  const bytes = randomBytes(13)
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5 && out.length < REPLY_TOKEN_LENGTH) {
      out += BASE32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
  }
  return out
}

/**
 * The Reply-To of a ticket's emails: `<slug>.<key>+<token>@INBOUND_DOMAIN`. The token alone
 * identifies the ticket; `<slug>.<key>` is there for people (and is the mailbox's forwarding
 * address without the `+token`). When slug and key are too long for the 64-octet local part, the
 * prefix is cut (at most 43 characters, no trailing dot or hyphen): routing never depends on it.
 */
export function replyAddress(workspaceSlug: string, mailboxKey: string, token: string) {
  const room = MAX_LOCAL_PART - 1 - token.length
  const prefix = `${workspaceSlug}.${mailboxKey}`.slice(0, room).replace(/[.-]+$/, '')
  return `${prefix}+${token}@${env().inboundDomain}`
}

/**
 * The reply token in an address's local part (`anything+<token>@…`), or undefined. For the
 * inbound side: the token is looked up as is, so a forged or unknown one matches no ticket.
 */
export function replyTokenOf(address: string) {
  const at = address.lastIndexOf('@')
  const local = (at === -1 ? address : address.slice(0, at)).toLowerCase()
  const plus = local.lastIndexOf('+')
  if (plus === -1) return undefined
  const token = local.slice(plus + 1)
  return REPLY_TOKEN.test(token) ? token : undefined
}
