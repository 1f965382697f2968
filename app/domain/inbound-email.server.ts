import { createHash } from 'node:crypto'
import { decodeWords } from 'postal-mime'
import { getDb, type Tx } from '#db/client.ts'
import {
  findEmailByMessageIds,
  findInboundEmailIdBySha256,
  findMessageByInboundKey,
  findRateLimitedTicket,
  finishInboundEmail,
  getInboundPost,
  getTicketAcknowledgementContext,
  getTicketParticipants,
  insertInboundCopies,
  insertInboundEmailIfNew,
  isOurOwnMessageId,
  listActiveMailboxAddresses,
  markContactBouncing,
  markEmailBounced,
} from '#db/queries/inbound-emails.ts'
import { addWordsToSearch } from '#db/queries/tickets.ts'
import { findMemberByEmail } from '#db/queries/workspaces.ts'
import { env } from '#app/env.server.ts'
import { filesDir, pathFor, storeBytesDurably } from '#app/integrations/storage.server.ts'
import { enqueue } from '#app/jobs/queue.server.ts'
import { logger, safeErrorMessage } from '#app/logger.server.ts'
import { realtime } from '#app/realtime/hub.server.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { InboundParseError, type InboundMessage } from './inbound-parse.server.ts'
import { parseAndPrepareInThread } from './inbound-parse-thread.server.ts'
import type { InboundBody } from './inbound-body.server.ts'
import { isAutomaticReply, noAutoReplyReason } from './inbound-noise.server.ts'
import { sendAutoAcknowledgement } from './auto-acknowledgement.server.ts'
import { subjectTopic } from './email-templates.server.ts'
import { forwardedSender } from './inbound-forward.server.ts'
import { liveCustomerLinkTokens } from './email-link.server.ts'
import { replyAddress } from './reply-address.server.ts'
import {
  routeInbound,
  senderDomainVouchedFor,
  ticketByHeaders,
  ticketBySubjectReference,
  type Route,
} from './inbound-routing.server.ts'
import { customerReply } from './messages.server.ts'
import { takeSlotIn } from './rate-limit.server.ts'
import { createTicket, upsertContact, type InboundFields } from './tickets.server.ts'
import { withoutTokens } from '#app/utils/private-links.ts'
import { isEmailAddress } from '#app/utils/schemas.ts'
import { sliceWhole } from '#app/utils/well-formed.ts'

/** SendGrid posts up to 30 MB of email; the multipart framing and fields need a little more. */
export const INBOUND_BODY_LIMIT = 35 * 1024 * 1024
/** A ticket keeps at most this many CC'd addresses (the composer's limit). */
const MAX_CC = 10

export type StoreOutcome = { kind: 'stored'; id: string } | { kind: 'duplicate'; id: string | undefined }

/**
 * Keeps an Inbound Parse post exactly as it arrived and queues its filing, in one transaction:
 * the 200 that follows means the email is safe. The same post again (SendGrid retries when it
 * got no 2xx in time) has the same dedup key and is not stored or queued twice.
 *
 * The body is hashed once: that hash names the file, and the dedup key is derived from it and
 * the content type's boundary (the body repeats the boundary, so this identifies the post as the
 * hash of boundary + body did; rows stored before keep that older key, so a retry of such an old
 * post is filed again and then found a duplicate by its Message-ID). The file's write and fsync
 * run while the row is inserted, and the transaction commits only once the bytes are on disk:
 * the row never names a file that is not there, and the webhook waits for the slower of the two
 * instead of both in turn.
 */
export async function storeInboundPost(contentType: string, body: Buffer): Promise<StoreOutcome> {
  const rawSha256 = createHash('sha256').update(body).digest('hex')
  // The bytes go to the file store (fsynced) rather than a bytea: ~5 ms instead of ~100 ms for
  // 1 MB (TOAST compression, the WAL, and ~50 ms more to read it back as hex).
  const written = storeBytesDurably(body, rawSha256)
  // Awaited inside the transaction; this only keeps a rollback before that from leaving the
  // promise's failure unhandled.
  written.catch(() => undefined)
  return recordInboundPost(contentType, { sha256: rawSha256, size: body.length }, written)
}

/**
 * Records a post whose bytes are already in the file store (the webhook streams them there as
 * they arrive, hashing on the way: a large post never sits whole in the server's memory), or are
 * being written (`written`, awaited before the commit).
 */
export async function recordInboundPost(
  contentType: string,
  raw: { sha256: string; size: number },
  written: Promise<unknown> = Promise.resolve(),
): Promise<StoreOutcome> {
  const rawSha256 = raw.sha256
  const sha256 = createHash('sha256')
    .update(contentType.replace(/^.*boundary=/i, ''))
    .update(rawSha256)
    .digest('hex')
  return getDb().transaction(async (tx) => {
    const id = await insertInboundEmailIfNew(tx, { sha256, contentType, rawSha256, size: raw.size })
    if (!id) {
      const existing = await findInboundEmailIdBySha256(tx, { sha256 })
      // The first post's file holds the same bytes; a failed rewrite of it changes nothing.
      await written.catch(() => undefined)
      return { kind: 'duplicate' as const, id: existing?.id }
    }
    await enqueue(tx, 'email.inbound', { inboundEmailId: id })
    await written
    return { kind: 'stored' as const, id }
  })
}

export type FileOutcome =
  'already-processed' | 'failed' | 'unrouted' | 'duplicate' | 'bounce' | 'dropped' | 'filed'

/**
 * The email.inbound job: parses a stored post, routes it to a mailbox, threads it (reply token,
 * then In-Reply-To/References, then the subject's `[#12]` from a participant, then a new ticket)
 * and files it through createTicket or customerReply, then publishes their events. Safe to run twice: a post already processed is
 * skipped, and the message's dedup key (Message-ID and the email's hash, else sha256) is unique per
 * workspace.
 */
export async function fileInboundEmail(inboundEmailId: string): Promise<FileOutcome> {
  const db = getDb()
  // Only posts stored before raw_sha256 existed have their bytes in `raw`.
  const row = await getInboundPost(db, { id: inboundEmailId })
  // A post its job gave up on (markInboundFailed) is filed again when that job is redriven from
  // the dead-letter queue (docs/data-flow.md): the operator's way back after the fault is fixed.
  const redriven = row?.status === 'failed' && row.error?.startsWith(JOB_FAILURE_PREFIX) === true
  if (!row || (row.status !== 'received' && !redriven)) return 'already-processed'
  const log = logger().child({ job: 'email.inbound', inboundEmailId })
  let email: InboundMessage
  let body: InboundBody
  try {
    // The parse thread reads the stored file itself, and stores the attachments and sanitizes the
    // HTML too: the email's bytes never pass through this thread.
    const raw = row.rawSha256 ? { file: pathFor(row.rawSha256) } : row.raw
    if (!raw) throw new InboundParseError('The stored post has no body')
    ;({ email, prepared: body } = await parseAndPrepareInThread(row.contentType, raw, filesDir()))
  } catch (error) {
    if (!(error instanceof InboundParseError)) throw error
    log.warn({ error: error.message }, 'inbound email could not be parsed')
    await finish(db, inboundEmailId, { status: 'failed', error: error.message })
    return 'failed'
  }
  const routes = await routeInbound(db, email)
  // A copy made for one workspace (below) is filed there only; a post addressed to several
  // first gives each other workspace its own copy and job, committed before this one files
  // anything: each is filed, deduplicated, limited and acknowledged on its own, and a failure
  // filing into one loses none of the others.
  const route = row.workspaceId ? routes.find((r) => r.workspaceId === row.workspaceId) : routes[0]
  if (!row.workspaceId && routes.length > 1) {
    await copyForWorkspaces(inboundEmailId, routes.slice(1), log)
  }
  if (!route) {
    // Logged without addresses: which recipients we tried is visible from the stored post.
    log.info({ recipients: email.envelope.to.length + email.to.length }, 'inbound email matched no mailbox')
    await finish(db, inboundEmailId, { status: 'unrouted', error: 'No mailbox matched the recipients' })
    return 'unrouted'
  }
  const at = { workspaceId: route.workspaceId, mailboxId: route.mailboxId }
  // A delivery report counts as one only with the null reverse-path every real one has (RFC 5321
  // §4.5.5): anyone who saw one of our Message-IDs (a CC'd person) can write a report-shaped email
  // from an ordinary mailbox. Such a one is filed as the email it is, from whoever sent it.
  if (email.report && isNullReversePath(email.envelope.from)) {
    return fileReport(inboundEmailId, email, route, log)
  }
  // A sender we could not reply to (no From, or an address the forms and the API refuse: one
  // rule, Email in app/utils/schemas.ts) would be a contact no reply reaches.
  if (!email.from || !isEmailAddress(email.from.address)) {
    const error = email.from ? 'Sender address (From) is not one we can reply to' : 'No sender address (From)'
    log.info({ error }, 'inbound email refused: no sender address to reply to')
    await finish(db, inboundEmailId, { ...at, status: 'failed', error })
    return 'failed'
  }
  // A post is a duplicate only when it is the same email (a SendGrid retry, both modes): the key
  // holds the Message-ID and the email's hash, since some mailers reuse one Message-ID for every
  // email (sameEmailHash). Messages filed before that have the Message-ID alone as their key.
  const existing = await findMessageByInboundKey(db, {
    workspaceId: route.workspaceId,
    inboundKey: email.dedupKey,
    legacyKey: email.messageId ? `mid:${email.messageId}` : undefined,
    sender: email.from.address,
  })
  if (existing) {
    await finish(db, inboundEmailId, { ...at, status: 'duplicate', ticketId: existing.ticketId })
    return 'duplicate'
  }
  // Our own email back (an agent's reply, a ticket's confirmation or its thread root, copied or
  // forwarded to one of the workspace's mailboxes): filed, it would be the customer's reply and
  // reopen the ticket.
  if (
    email.messageId &&
    (await isOurOwnMessageId(db, { workspaceId: route.workspaceId, messageId: email.messageId }))
  ) {
    log.info('our own email came back to a mailbox: dropped')
    await finish(db, inboundEmailId, { ...at, status: 'dropped', error: 'Our own email came back' })
    return 'dropped'
  }
  let outcome: { ticketId: string; events: TicketEvent[]; created: boolean }
  try {
    outcome = await fileMessage(inboundEmailId, email, route, body)
  } catch (error) {
    // Another attempt (or the same email posted twice, in both modes) filed it first.
    if (isDedupViolation(error)) {
      await finish(db, inboundEmailId, { ...at, status: 'duplicate' })
      return 'duplicate'
    }
    throw error
  }
  realtime().publish(outcome.events)
  return 'filed'
}

/** Queues the post's filing into each of these workspaces, as a copy of its own (insertInboundCopies). */
async function copyForWorkspaces(postId: string, routes: Route[], log: ReturnType<typeof logger>) {
  await getDb().transaction(async (tx) => {
    const ids = await insertInboundCopies(tx, { postId, workspaceIds: routes.map((r) => r.workspaceId) })
    for (const id of ids) await enqueue(tx, 'email.inbound', { inboundEmailId: id })
  })
  log.info({ workspaces: routes.length + 1 }, 'inbound email addressed to several workspaces: one copy each')
}

async function fileMessage(
  inboundEmailId: string,
  email: InboundMessage,
  route: Route,
  prepared: InboundBody,
) {
  const sender = email.from!
  const maxPerHour = env().inbound.maxNewTicketsPerSenderHour
  return getDb().transaction(async (tx) => {
    const ours = (await listActiveMailboxAddresses(tx, { workspaceId: route.workspaceId })).map(
      (m) => m.address,
    )
    const finishIn = async (ticketId: string) => {
      // Beside the text part, the words only its HTML part has (htmlOnlyWords): searchable too.
      if (body.htmlOnlyWords) await addWordsToSearch(tx, { ticketId, words: body.htmlOnlyWords })
      await finish(tx, inboundEmailId, {
        workspaceId: route.workspaceId,
        mailboxId: route.mailboxId,
        ticketId,
        status: 'filed',
        error: body.notes.length > 0 ? body.notes.join(' ') : null,
      })
    }
    const inbound = (threadedBy: NonNullable<InboundFields['threadedBy']>, notFromParticipant = false) => ({
      inboundEmailId,
      threadedBy,
      notFromParticipant,
      inboundKey: email.dedupKey,
      emailMessageId: email.messageId ?? null,
      inReplyTo: email.inReplyTo[0] ?? null,
      bodyHtml: body.html,
      filesNotKept: body.notKept,
      viaList: mailingListOf(email)?.label ?? null,
      automatic: isAutomaticReply(email),
    })
    const thread = await threadOf(tx, route, email)
    const body = await withoutLiveLinkTokens(tx, route.workspaceId, thread?.ticketId ?? null, email, prepared)
    if (thread) {
      const outcome = await replyOnTicket(
        tx,
        thread.ticketId,
        route.workspaceId,
        email,
        body,
        inbound(thread.by),
        ours,
      )
      await finishIn(thread.ticketId)
      return { ticketId: thread.ticketId, events: outcome.events, created: false }
    }
    // On the filing's connection (takeSlotIn): one filing holds one pool connection, however
    // many run at once.
    const slot = await takeSlotIn(tx, `inbound-new:${route.workspaceId}:${sender.address}`, {
      max: maxPerHour,
      windowMs: 60 * 60 * 1000,
    })
    if (!slot.allowed) {
      const kept = await rateLimitedTicket(tx, route.workspaceId, sender.address)
      if (kept) {
        const outcome = await replyOnTicket(
          tx,
          kept,
          route.workspaceId,
          email,
          body,
          inbound('rate-limited'),
          ours,
        )
        await finishIn(kept)
        return { ticketId: kept, events: outcome.events, created: false }
      }
    }
    // A member of the workspace writing to it: a forward of a customer's email (the customer
    // is the forwarded message's sender, the member opened the ticket, and nobody is
    // acknowledged), or their own request (never acknowledged: they are one of us).
    // Only when DKIM or SPF vouches for the sender's domain: From alone would let anyone open a
    // ticket "by" a member in any customer's name.
    const member = senderDomainVouchedFor(email)
      ? await findMemberByEmail(tx, { workspaceId: route.workspaceId, email: sender.address })
      : undefined
    const original = member ? forwardedSender(body.text) : undefined
    const forward =
      original !== undefined &&
      original.address !== sender.address.toLowerCase() &&
      !ours.some((address) => address.toLowerCase() === original.address)
    const customer = forward ? original : sender
    const subject = subjectOf(email)
    const created = await createTicket(
      { workspaceId: route.workspaceId, userId: forward ? member!.userId : null },
      {
        mailboxId: route.mailboxId,
        customerEmail: customer.address,
        customerName: senderName(customer.name),
        subject: !slot.allowed
          ? `Rate-limited: more mail from ${sender.address}`
          : forward
            ? subjectTopic(subject) || subject
            : subject,
        body: body.text,
        channel: 'email',
        files: body.files,
        cc: forward ? [] : ccOf(email, ours, []),
        inbound: inbound(slot.allowed ? 'new' : 'rate-limited'),
      },
      tx,
    )
    if (created.kind !== 'created') throw new Error('The routed mailbox is archived')
    if (slot.allowed && !member) await acknowledge(tx, email, route, created, ours)
    await finishIn(created.ticketId)
    return { ticketId: created.ticketId, events: created.events, created: slot.allowed }
  })
}

/**
 * The body without the tokens of the live customer links it may quote: the ticket's, and those of
 * every ticket of its sender (or of the customer a member forwards), whatever encoding or wrapping
 * the link came through (withoutTokens; the parse thread removed the links it recognized).
 */
async function withoutLiveLinkTokens(
  tx: Tx,
  workspaceId: string,
  ticketId: string | null,
  email: InboundMessage,
  body: InboundBody,
): Promise<InboundBody> {
  const forwarded = forwardedSender(body.text)?.address
  const addresses = [email.from!.address.toLowerCase(), ...(forwarded ? [forwarded] : [])]
  const tokens = await liveCustomerLinkTokens(tx, { workspaceId, ticketId, addresses })
  if (tokens.size === 0) return body
  return {
    ...body,
    text: withoutTokens(body.text, tokens),
    html: body.html === null ? null : withoutTokens(body.html, tokens),
    htmlOnlyWords: withoutTokens(body.htmlOnlyWords, tokens),
  }
}

/**
 * The ticket the email answers, and how it was found: its reply token, else its In-Reply-To /
 * References, else the `[#12]` in its subject when the sender is that ticket's customer or CC'd.
 */
async function threadOf(
  tx: Tx,
  route: Route,
  email: InboundMessage,
): Promise<{ ticketId: string; by: 'token' | 'header' | 'subject' } | undefined> {
  if (route.tokenTicketId) return { ticketId: route.tokenTicketId, by: 'token' }
  const byHeaders = await ticketByHeaders(tx, route.workspaceId, email)
  if (byHeaders) return { ticketId: byHeaders, by: 'header' }
  const bySubject = await ticketBySubjectReference(tx, route.workspaceId, email)
  return bySubject ? { ticketId: bySubject, by: 'subject' } : undefined
}

/**
 * Adds the email to a ticket as the customer's reply (which reopens it, unless software sent it on
 * its own: isAutomaticReply). The sender becomes or matches a contact; one who is neither the
 * ticket's customer nor CC'd is flagged, and the assignee's notification names them.
 */
async function replyOnTicket(
  tx: Tx,
  ticketId: string,
  workspaceId: string,
  email: InboundMessage,
  body: InboundBody,
  inbound: InboundFields,
  ours: string[],
) {
  const sender = email.from!
  const ticket = await getTicketParticipants(tx, { workspaceId, ticketId })
  const contact = await upsertContact(tx, workspaceId, sender.address, senderName(sender.name))
  const participant =
    contact.id === ticket.contactId || ticket.cc.some((a) => a.toLowerCase() === sender.address)
  const cc = participant ? ccOf(email, ours, ticket.cc, ticket.contactEmail) : undefined
  return customerReply({ ticketId, workspaceId }, body.text, body.files, {
    tx,
    authorContactId: contact.id,
    inbound: { ...inbound, notFromParticipant: !participant },
    cc: cc && cc.length !== ticket.cc.length ? cc : undefined,
    automatic: inbound.automatic,
    writtenBy: participant ? undefined : sender.address,
  })
}

/** The open "rate-limited" ticket of this sender, where their mail goes once over the hourly limit. */
async function rateLimitedTicket(tx: Tx, workspaceId: string, sender: string) {
  return findRateLimitedTicket(tx, { workspaceId, sender })
}

/**
 * A delivery status notification: attached to the email it reports on (found by the returned
 * Message-ID among our sent emails of this workspace), which a permanent failure marks bounced.
 * Otherwise dropped, with a log line.
 */
async function fileReport(
  inboundEmailId: string,
  email: InboundMessage,
  route: Route,
  log: ReturnType<typeof logger>,
) {
  const report = email.report!
  const db = getDb()
  const ids = report.originalMessageIds
  const original =
    ids.length === 0
      ? undefined
      : await findEmailByMessageIds(db, { workspaceId: route.workspaceId, messageIds: ids })
  const at = { workspaceId: route.workspaceId, mailboxId: route.mailboxId }
  if (!original) {
    log.info({ action: report.action ?? null }, 'delivery report for no email of ours: dropped')
    await finish(db, inboundEmailId, {
      ...at,
      status: 'dropped',
      error: 'Delivery report for an unknown email',
    })
    return 'dropped' as const
  }
  await db.transaction(async (tx) => {
    const failed = report.action === 'failed' || /^5\./.test(report.status ?? '')
    if (failed) {
      const reason =
        sliceWhole([report.status, report.diagnostic].filter(Boolean).join(' '), 300) || 'Bounced'
      const bounced = bouncedRecipients(report.recipients, original)
      // The email is bounced when its customer's copy was: a CC's failure leaves it delivered.
      if (bounced.includes(original.to.toLowerCase())) {
        await markEmailBounced(tx, { emailId: original.emailId, reason })
      }
      for (const address of bounced) await markAddressBouncing(tx, route.workspaceId, address, reason)
    }
    await finish(tx, inboundEmailId, {
      ...at,
      status: 'bounce',
      ticketId: original.ticketId,
      emailId: original.emailId,
    })
  })
  return 'bounce' as const
}

/** The SMTP envelope's sender of a delivery report: empty (`<>`), as Inbound Parse passes it. */
function isNullReversePath(from: string | undefined) {
  return from === '' || from === '<>'
}

/**
 * Which of the reported email's recipients the report says failed (its Final-Recipient fields).
 * A report naming none of them marks nothing: it reports on someone else's copy. Before, every
 * failure marked the email's customer bouncing, also a report on a CC'd address's copy. A report
 * without a Final-Recipient can only be about the customer when the email went to them alone.
 */
function bouncedRecipients(reported: string[], email: { to: string; cc: string[]; bcc: string[] }) {
  const recipients = [email.to, ...email.cc, ...email.bcc].map((a) => a.toLowerCase())
  if (reported.length === 0) return recipients.length === 1 ? recipients : []
  return [...new Set(recipients.filter((address) => reported.includes(address)))]
}

/** A hard bounce: the contact with that address is shown as bouncing on the ticket and customer page. */
export async function markAddressBouncing(tx: Tx, workspaceId: string, address: string, reason: string) {
  await markContactBouncing(tx, { workspaceId, address, reason: sliceWhole(reason, 300) })
}

function subjectOf(email: InboundMessage) {
  // eslint-disable-next-line no-control-regex -- headers must stay one line
  const subject = email.subject.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim()
  if (!subject) return '(no subject)'
  // A ticket's subject holds 250 characters: a longer one is cut where it shows it was.
  return subject.length > 250 ? `${sliceWhole(subject, 249).trimEnd()}…` : subject
}

/** A display name from From, made one line and short (it reaches our email headers later). */
function senderName(name: string) {
  return sliceWhole(
    name
      // eslint-disable-next-line no-control-regex -- see displayName() in app/utils/schemas.ts
      .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g, ' ')
      .trim(),
    100,
  )
}

/**
 * The customer's CC'd addresses we can send to (To and Cc, less the sender, the customer and our own addresses:
 * the inbound domain's and every active mailbox's of the workspace, lower-case in `mailboxes`)
 * added to the ticket's list, at most MAX_CC. A mailbox of ours on the list would get each agent
 * reply and forward it back to us.
 */
function ccOf(email: InboundMessage, mailboxes: string[], current: string[], customer?: string) {
  const domain = `@${env().inboundDomain.toLowerCase()}`
  const ours = new Set([...mailboxes, email.from?.address, customer?.toLowerCase()])
  const mailingList = mailingListOf(email)
  const list = [...current]
  for (const { address } of [...email.to, ...email.cc]) {
    if (list.length >= MAX_CC) break
    if (
      address.endsWith(domain) ||
      ours.has(address) ||
      mailingList?.isListAddress(address) ||
      !isEmailAddress(address) ||
      list.some((a) => a.toLowerCase() === address)
    )
      continue
    list.push(address)
  }
  return list
}

/** The most of a list's label kept on its message (messages.via_list): a name and an address. */
const MAX_LIST_LABEL = 200

/**
 * For an email that came through a mailing list (it carries List-Id or List-Post, RFC 2919 and
 * 2369, or says `Precedence: list`): the list as a person reads it (`label`, kept on the message
 * as `via_list`), and which of its To/Cc addresses are the list's (`isListAddress`): List-Post's
 * address, and the address the List-Id names (`<users.lists.example.com>` is
 * users@lists.example.com). Such an address on the ticket's CC list would get every agent reply,
 * so would the whole list. When no header names one of the addresses, all of them are taken for
 * the list's: a list's address in CC costs more than a CC'd person left off. Undefined for an
 * email from no list.
 *
 * The label is the List-Id's name with the list's address (List-Post's, else the List-Id itself):
 * "Users of Example (users@lists.example.com)"; either alone when the other is missing; '' when
 * only Precedence says it came through a list. It is the sender's header text: one line, without
 * control or direction characters, at most MAX_LIST_LABEL characters, and shown only as text.
 */
function mailingListOf(
  email: InboundMessage,
): { label: string; isListAddress: (address: string) => boolean } | undefined {
  const header = (name: string) => email.headers.find((h) => h.key === name)?.value
  const listId = header('list-id')
  const listPost = header('list-post')
  const precedence = header('precedence')?.trim().toLowerCase()
  if (listId === undefined && listPost === undefined && precedence !== 'list') return undefined
  // The last <…>: a quoted name may hold brackets of its own.
  const bracketed = [...(listId ?? '').matchAll(/<([^<>\s]+)>/g)].at(-1)
  const id = bracketed?.[1]?.toLowerCase() ?? (listId?.trim().toLowerCase() || undefined)
  const posts = [...(listPost ?? '').matchAll(/<mailto:([^<>?\s]+)/gi)].map((m) => m[1]!.toLowerCase())
  const isList = (address: string) => posts.includes(address) || address.replace('@', '.') === id
  const named = [...email.to, ...email.cc].some(({ address }) => isList(address))
  const name = bracketed ? listName(listId!.slice(0, bracketed.index)) : ''
  const address = oneLine(posts[0] ?? id ?? '', 96)
  const label = name && address ? `${name} (${address})` : name || address
  return { label: sliceWhole(label, MAX_LIST_LABEL), isListAddress: named ? isList : () => true }
}

/** A List-Id's name (RFC 2919's phrase): encoded words decoded, quotes dropped, one line, bounded. */
function listName(phrase: string) {
  let decoded = phrase
  try {
    decoded = decodeWords(phrase)
  } catch {
    // An encoded word it cannot read stays as written.
  }
  return oneLine(decoded.trim().replace(/^"(.*)"$/s, '$1'), 100)
}

/** Header text made one line (no control or direction characters) and at most `max` characters. */
function oneLine(text: string, max: number) {
  const line = text
    // eslint-disable-next-line no-control-regex -- see displayName() in app/utils/schemas.ts
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return line.length > max ? `${sliceWhole(line, max - 1).trimEnd()}…` : line
}

/** How markInboundFailed's reason starts: such a post is filed again by a redriven job. */
export const JOB_FAILURE_PREFIX = 'Could not be filed: '

/**
 * A post whose filing failed on its job's last attempt: `failed`, with the reason (no query
 * parameters), unless an attempt got further and recorded another outcome. Never throws: it runs
 * in the job's failure path, where the database may be what failed.
 */
export async function markInboundFailed(inboundEmailId: string, error: unknown) {
  try {
    await finishInboundEmail(
      getDb(),
      {
        id: inboundEmailId,
        values: { status: 'failed', error: `${JOB_FAILURE_PREFIX}${safeErrorMessage(error)}`.slice(0, 1000) },
      },
      { onlyIf: 'received' },
    )
  } catch (markError) {
    logger().error({ err: markError, inboundEmailId }, 'could not mark an inbound email failed')
  }
}

async function finish(
  db: ReturnType<typeof getDb> | Tx,
  id: string,
  values: Parameters<typeof finishInboundEmail>[1]['values'],
) {
  await finishInboundEmail(db, { id, values })
}

function isDedupViolation(error: unknown) {
  const cause =
    (error as { cause?: { code?: string; constraint?: string } }).cause ??
    (error as { code?: string; constraint?: string })
  return cause?.code === '23505' && cause.constraint === 'messages_workspace_inbound_key'
}

/**
 * The auto-acknowledgement of a new ticket that arrived by email, in the filing transaction,
 * unless the email is an automatic one or would loop (RFC 3834, inbound-noise.server.ts). The
 * mailbox setting, the template and the one-per-sender-per-hour limit are sendAutoAcknowledgement's.
 */
async function acknowledge(
  tx: Tx,
  email: InboundMessage,
  route: Route,
  created: { ticketId: string; number: number },
  ours: string[],
) {
  const reason = noAutoReplyReason(email, ours)
  if (reason) {
    logger().debug({ job: 'email.inbound', reason }, 'no auto-acknowledgement')
    return
  }
  const row = await getTicketAcknowledgementContext(tx, { ticketId: created.ticketId })
  await sendAutoAcknowledgement(tx, {
    workspaceId: route.workspaceId,
    ticket: {
      id: created.ticketId,
      number: created.number,
      subject: row.subject,
      threadMessageId: row.threadMessageId,
    },
    mailbox: row,
    to: email.from!.address,
    replyTo: row.replyToken ? replyAddress(route.workspaceSlug, row.key, row.replyToken) : row.address,
    inReplyTo: email.messageId,
  })
}
