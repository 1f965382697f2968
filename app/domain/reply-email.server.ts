import type { Tx } from '#db/client.ts'
import {
  getWorkspaceSlug,
  listEmailedMessageIds,
  listRepliesBefore,
  setTicketReplyToken,
} from '#db/queries/email-threading.ts'
import { getMailbox } from '#db/queries/mailboxes.ts'
import { getAuthorSignature } from '#db/queries/users.ts'
import type { QuotedMessage } from '#app/emails/agent-reply.tsx'
import { queueEmail } from './email.server.ts'
import { renderAgentReply } from './email-templates.server.ts'
import { newReplyToken, replyAddress } from './reply-address.server.ts'
import { createCustomerLink } from './tickets.server.ts'

/** Message-IDs of the thread's latest emails that go into References, after the thread root. */
export const REFERENCES_KEPT = 10
/** Earlier public messages quoted below a reply. */
export const QUOTED_MESSAGES = 3
const QUOTED_CHARS = 2000

/**
 * The ticket's reply token, created on first use (tickets opened before tokens existed have
 * none). The caller holds the ticket's row lock or has just inserted it.
 */
export async function ensureReplyToken(tx: Tx, ticketId: string, current: string | null) {
  if (current) return current
  const token = newReplyToken()
  await setTicketReplyToken(tx, { ticketId, token })
  return token
}

/** The Reply-To of a ticket's emails (see replyAddress), creating its token if needed. */
export async function ticketReplyAddress(
  tx: Tx,
  ticket: { id: string; workspaceId: string; mailboxId: string; replyToken: string | null },
) {
  const slug = (await getWorkspaceSlug(tx, { workspaceId: ticket.workspaceId }))!
  const mailbox = (await getMailbox(tx, { workspaceId: ticket.workspaceId, id: ticket.mailboxId }))!
  const token = await ensureReplyToken(tx, ticket.id, ticket.replyToken)
  return { address: replyAddress(slug, mailbox.key, token), mailbox }
}

/**
 * Addresses as one list: trimmed, without duplicates (case-insensitive, first spelling kept) and
 * without any in `exclude` (SendGrid refuses an address twice across to, cc and bcc).
 */
export function distinctAddresses(addresses: string[], exclude: string[] = []) {
  const seen = new Set(exclude.map((a) => a.trim().toLowerCase()))
  const out: string[] = []
  for (const raw of addresses) {
    const address = raw.trim()
    const key = address.toLowerCase()
    if (!address || seen.has(key)) continue
    seen.add(key)
    out.push(address)
  }
  return out
}

export type AgentReplyEmailInput = {
  ticket: {
    id: string
    workspaceId: string
    number: number
    subject: string
    mailboxId: string
    threadMessageId: string
    replyToken: string | null
    contactEmail: string
  }
  message: { id: string; emailMessageId: string; body: string; createdAt: Date }
  agentName: string
  cc: string[]
  bcc: string[]
  /** Undo send: hold the email job this long (seconds). */
  holdSeconds?: number
}

/**
 * Renders and queues the email of an agent's public reply, in the reply's transaction: from the
 * mailbox's address and sender name, Reply-To the ticket's token address, threaded with
 * In-Reply-To (the customer's last email, else the thread root) and References (the root and the
 * last REFERENCES_KEPT Message-IDs), the mailbox signature, and the last public messages quoted
 * below a marker (never internal notes).
 */
export async function queueAgentReplyEmail(tx: Tx, input: AgentReplyEmailInput) {
  const { ticket, message } = input
  const { address: replyTo, mailbox } = await ticketReplyAddress(tx, ticket)
  const link = await createCustomerLink(tx, ticket.workspaceId, ticket.id)
  const earlier = await listEmailedMessageIds(tx, {
    ticketId: ticket.id,
    exceptMessageId: message.id,
    limit: REFERENCES_KEPT,
  })
  const recent = earlier
    .map((m) => m.emailMessageId!)
    .filter((id) => id !== ticket.threadMessageId)
    .reverse()
  const lastFromCustomer = earlier.find((m) => m.fromCustomer)?.emailMessageId
  const rendered = await renderAgentReply({
    subject: ticket.subject,
    number: ticket.number,
    body: message.body,
    signature: mailbox.signature,
    personalSignature: await getAuthorSignature(tx, { messageId: message.id }),
    agentName: input.agentName,
    mailboxName: mailbox.fromName,
    link,
    quoted: await quotedThread(tx, ticket.id, message),
  })
  const cc = distinctAddresses(input.cc, [ticket.contactEmail])
  return queueEmail(
    tx,
    {
      ...rendered,
      workspaceId: ticket.workspaceId,
      ticketId: ticket.id,
      messageId: message.id,
      kind: 'agent-reply',
      fromAddress: mailbox.address,
      fromName: mailbox.fromName,
      toAddress: ticket.contactEmail,
      cc,
      bcc: distinctAddresses(input.bcc, [ticket.contactEmail, ...cc]),
      replyTo,
      headers: {
        'Message-ID': message.emailMessageId,
        'In-Reply-To': lastFromCustomer ?? ticket.threadMessageId,
        References: [ticket.threadMessageId, ...recent].join(' '),
      },
    },
    {
      startAfterSeconds: input.holdSeconds,
    },
  )
}

/** The last public messages before `message`, newest first, cut to QUOTED_CHARS each. */
async function quotedThread(
  tx: Tx,
  ticketId: string,
  message: { id: string; createdAt: Date },
): Promise<QuotedMessage[]> {
  const rows = await listRepliesBefore(tx, { ticketId, message, limit: QUOTED_MESSAGES })
  return rows.map((r) => ({
    author: r.userName ?? (r.contactName || r.contactEmail) ?? 'Someone',
    at: r.createdAt.toUTCString().replace('GMT', 'UTC'),
    body: r.bodyText.length > QUOTED_CHARS ? `${r.bodyText.slice(0, QUOTED_CHARS)}…` : r.bodyText,
  }))
}
