import type { Tx } from '#db/client.ts'
import type { ReplyThreadContext } from '#db/queries/messages.ts'
import type { QuotedMessage } from '#app/emails/agent-reply.tsx'
import { withoutPrivateLinks } from '#app/utils/private-links.ts'
import { sliceWhole } from '#app/utils/well-formed.ts'
import { queueEmail } from './email.server.ts'
import { fitAttachments, type EmailFile, type EmailFiles } from './email-attachments.server.ts'
import { renderAgentReply } from './email-templates.server.ts'
import { customerWords } from './inbound-display.server.ts'
import { replyAddress } from './reply-address.server.ts'

/** Message-IDs of the thread's latest emails that go into References, after the thread root. */
export const REFERENCES_KEPT = 10
/** Earlier public messages quoted below a reply. */
export const QUOTED_MESSAGES = 3
const QUOTED_CHARS = 2000

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
  /** The ticket as lockTicketForReply read it (with its mailbox and the workspace's slug). */
  ticket: {
    id: string
    workspaceId: string
    workspaceSlug: string
    number: number
    subject: string
    threadMessageId: string
    /** Set: a ticket without one got it in the reply's ticket update. */
    replyToken: string
    contactEmail: string
    mailboxKey: string
    mailboxAddress: string
    mailboxFromName: string
    mailboxSignature: string
  }
  message: { id: string; emailMessageId: string; body: string; createdAt: Date }
  /** Read with the reply's writes (recordAgentMessage), in its snapshot taken after the lock. */
  thread: ReplyThreadContext
  /**
   * The customer's new private link as the email stores it (its URL with the token's placeholder,
   * and the link's id), stored by the reply's statement; null when no copy reaches the customer
   * alone (a reply with CC: everyone on it sees the same email).
   */
  link: { url: string; linkId: string } | null
  agentName: string
  /** The replying agent's personal signature. */
  agentSignature: string
  cc: string[]
  bcc: string[]
  /** The reply's files (its attachment rows), in order. */
  files?: EmailFile[]
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
  const { ticket, message, thread, link } = input
  const replyTo = replyAddress(ticket.workspaceSlug, ticket.mailboxKey, ticket.replyToken)
  const earlier = thread.emailed
  const recent = earlier
    .map((m) => m.emailMessageId)
    .filter((id) => id !== ticket.threadMessageId)
    .reverse()
  const lastFromCustomer = earlier.find((m) => m.fromCustomer)?.emailMessageId
  const content = {
    subject: ticket.subject,
    number: ticket.number,
    body: message.body,
    signature: ticket.mailboxSignature,
    personalSignature: input.agentSignature,
    agentName: input.agentName,
    mailboxName: ticket.mailboxFromName,
    quoted: thread.quoted.map(quotedMessage),
  }
  const cc = distinctAddresses(input.cc, [ticket.contactEmail])
  const bcc = distinctAddresses(input.bcc, [ticket.contactEmail, ...cc])
  // Whoever is on the email can read the thread and answer as the customer through the link: BCC
  // recipients get a copy of their own without it (sent in the same call, email.server.ts).
  const withBccCopy = link !== null && bcc.length > 0
  const render = async (files: EmailFiles) => ({
    rendered: await renderAgentReply({ ...content, files, link: link?.url ?? null }),
    bccCopy: withBccCopy ? await renderAgentReply({ ...content, files, link: null }) : null,
  })
  // The files go with the email as far as SendGrid's 30 MB allow, measured beside the parts as
  // rendered with all of them listed; the rest are named as not attached (email-attachments).
  const all: EmailFiles = { attached: input.files ?? [], notAttached: [] }
  let files = all
  let { rendered, bccCopy } = await render(all)
  if (all.attached.length > 0) {
    const parts = [rendered.text, rendered.html, ...(bccCopy ? [bccCopy.text, bccCopy.html] : [])]
    files = fitAttachments(all.attached, parts)
    if (files.notAttached.length > 0) ({ rendered, bccCopy } = await render(files))
  }
  return queueEmail(
    tx,
    {
      ...rendered,
      ...(bccCopy ? { bccCopy: { html: bccCopy.html, text: bccCopy.text } } : {}),
      workspaceId: ticket.workspaceId,
      ticketId: ticket.id,
      messageId: message.id,
      kind: 'agent-reply',
      ...(link ? { linkId: link.linkId } : {}),
      attachmentIds: files.attached.map((f) => f.id),
      fromAddress: ticket.mailboxAddress,
      fromName: ticket.mailboxFromName,
      toAddress: ticket.contactEmail,
      cc,
      bcc,
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

/** How much of a customer's email is read for its new part (what they wrote comes first). */
const SPLIT_CHARS = 20_000

/**
 * An earlier public message quoted below a reply, cut to QUOTED_CHARS. Of a customer's email,
 * only what they wrote, in order (their answers between the lines they quoted included): the
 * history and signature their mail program put below it (our previous email, with its "View this
 * conversation" link) stay out, as the ticket page collapses them (splitQuotedText). A message
 * from the support form or the customer's page is quoted as written: it has no email history, and
 * its lines starting with `>` are the customer's (a pasted log). And never one of our private
 * links: the copies with CC and BCC are the ones without the customer's link, and a message filed
 * before inbound email dropped them may still hold one.
 */
function quotedMessage(r: {
  bodyText: string
  byEmail: boolean
  createdAt: Date
  userName: string | null
  contactName: string | null
  contactEmail: string | null
}): QuotedMessage {
  const written =
    r.userName === null ? customerWords(sliceWhole(r.bodyText, SPLIT_CHARS), r.byEmail) : r.bodyText
  const text = withoutPrivateLinks(written)
  return {
    author: r.userName ?? (r.contactName || r.contactEmail) ?? 'Someone',
    at: r.createdAt.toUTCString().replace('GMT', 'UTC'),
    body: text.length > QUOTED_CHARS ? `${sliceWhole(text, QUOTED_CHARS)}…` : text,
  }
}
