import type { DbOrTx } from '#db/client.ts'
import {
  findRouteByForwardingAddress,
  findRouteByReplyToken,
  findTicketsByMessageIds,
  listRoutesByPublicAddress,
} from '#db/queries/inbound-routing.ts'
import { env } from '#app/env.server.ts'
import type { InboundMessage } from './inbound-parse.server.ts'
import { replyTokenOf } from './reply-address.server.ts'

export type Route = {
  workspaceId: string
  workspaceSlug: string
  mailboxId: string
  mailboxAddress: string
  /** The ticket a valid reply token names (same workspace as the mailbox). */
  tokenTicketId: string | undefined
}

/**
 * Which addresses decide where an email goes, in order: the SMTP envelope recipients (what the
 * forwarding rule or MX delivered to), then To, Cc and Delivered-To.
 */
export function recipientCandidates(email: InboundMessage) {
  const list = [
    ...email.envelope.to,
    ...email.to.map((a) => a.address),
    ...email.cc.map((a) => a.address),
    ...email.deliveredTo.map((a) => a.toLowerCase().replace(/^<|>$/g, '')),
  ]
  return [...new Set(list.map((a) => a.trim().toLowerCase()).filter((a) => a.includes('@')))]
}

/** `<slug>.<key>` (and an optional `+token`) of an address at INBOUND_DOMAIN, else undefined. */
export function forwardingParts(address: string) {
  const at = address.lastIndexOf('@')
  if (at === -1 || address.slice(at + 1).toLowerCase() !== env().inboundDomain.toLowerCase()) return undefined
  const local = address.slice(0, at).toLowerCase().split('+')[0]
  const dot = local.indexOf('.')
  if (dot <= 0 || dot === local.length - 1) return undefined
  return { slug: local.slice(0, dot), key: local.slice(dot + 1) }
}

/**
 * Picks workspace and mailbox: a valid reply token (its ticket's mailbox), else a forwarding
 * address `<slug>.<key>@INBOUND_DOMAIN`, else a mailbox's public address when exactly one active
 * mailbox has it (two workspaces may both claim support@example.com: then nobody gets it).
 */
export async function routeInbound(db: DbOrTx, email: InboundMessage): Promise<Route | undefined> {
  const candidates = recipientCandidates(email)
  for (const address of candidates) {
    if (!forwardingParts(address)) continue
    const token = replyTokenOf(address)
    if (!token) continue
    const row = await findRouteByReplyToken(db, { token })
    if (row) return { ...row, tokenTicketId: row.ticketId }
  }
  for (const address of candidates) {
    const parts = forwardingParts(address)
    if (!parts) continue
    const row = await findRouteByForwardingAddress(db, parts)
    if (row) return { ...row, tokenTicketId: undefined }
  }
  for (const address of candidates) {
    const rows = await listRoutesByPublicAddress(db, { address, limit: 2 })
    if (rows.length === 1) return { ...rows[0], tokenTicketId: undefined }
  }
  return undefined
}

/**
 * The ticket an email answers by its In-Reply-To / References, newest reference first: our
 * agent replies' Message-IDs, earlier inbound messages' and each ticket's thread root.
 */
export async function ticketByHeaders(db: DbOrTx, workspaceId: string, email: InboundMessage) {
  const ids = [...new Set([...email.inReplyTo, ...[...email.references].reverse()])].slice(0, 50)
  if (ids.length === 0) return undefined
  const { found, roots } = await findTicketsByMessageIds(db, { workspaceId, messageIds: ids })
  const byId = new Map([...roots, ...found].map((r) => [r.messageId, r.ticketId]))
  for (const id of ids) {
    const ticketId = byId.get(id)
    if (ticketId) return ticketId
  }
  return undefined
}
