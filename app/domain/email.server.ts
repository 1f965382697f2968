import { randomUUID } from 'node:crypto'
import { getDb, type DbOrTx } from '#db/client.ts'
import {
  claimEmail,
  failClaimedEmail,
  failEmailOfFormerMember,
  getEmailClaimState,
  handQueuedEmailToJob,
  hasEarlierUnsentThreadEmail,
  insertEmail,
  lockEmailOfMessage,
  lockQueuedEmailOfJob,
  markClaimedEmailSent,
  releaseEmailClaim,
  noteInterruptedSend,
  recordProviderIdOfSettled,
  requeueClaimedEmail,
  requeueFailedEmail,
  setMessageDeliveryStatus,
  threadJobToWakeAfter,
  type ClaimedEmail,
} from '#db/queries/emails.ts'
import { env } from '#app/env.server.ts'
import {
  sendWithSendGrid,
  TransportError,
  type TransportAttachment,
  type TransportEmail,
} from '#app/integrations/sendgrid.server.ts'
import { enqueue, wakeJob } from '#app/jobs/queue.server.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { recordAudit } from './audit.server.ts'
import { headerRecord, headerValue } from './email-headers.server.ts'
import { attachmentsToSend, withAttachmentsToSend } from './email-attachments.server.ts'
import type { Rendered } from './email-templates.server.ts'
import { emailLinkTokenToSend, withEmailLink } from './email-link.server.ts'

export type OutgoingEmail = Rendered & {
  /** None for account emails (verify, password reset), which belong to no workspace. */
  workspaceId: string | null
  ticketId?: string
  messageId?: string
  kind:
    | 'agent-reply'
    | 'ticket-confirmation'
    | 'auto-acknowledgement'
    | 'webhook-disabled'
    | 'verify-email'
    | 'password-reset'
    | 'password-changed'
    | 'invitation'
    | 'notification'
  fromAddress: string
  fromName: string
  toAddress: string
  cc?: string[]
  bcc?: string[]
  /**
   * What the BCC recipients get instead of html/text, sent in the same call as their own copies
   * (an agent reply whose customer copy carries the customer's private link: docs/security.md).
   */
  bccCopy?: { html: string; text: string }
  /**
   * The private link whose placeholder html/text carry (email-link.server.ts): its token is put
   * in only in the copy sent, never stored.
   */
  linkId?: string
  /**
   * Files of the email's workspace sent with it (attachments.id), in the order html/text name
   * them; read from storage at each send (email-attachments.server.ts).
   */
  attachmentIds?: string[]
  replyTo?: string
  headers?: Record<string, string>
  /** A notification's recipient: the email is sent only while they are a member of its workspace. */
  recipientUserId?: string
}

/** Host part for Message-IDs we generate: the public host of APP_URL. */
export function messageIdHost() {
  return new URL(env().appUrl).hostname
}

export function newMessageId(localPart: string) {
  return `<${localPart}@${messageIdHost()}>`
}

/**
 * Records the email and enqueues its delivery on the caller's transaction: the email is sent
 * exactly when the write that caused it commits. The job's id is stored on the row: only that
 * job may take over the email's claim later (see deliverEmail).
 */
export async function queueEmail(
  tx: DbOrTx,
  email: OutgoingEmail,
  /** Undo send: the job runs only after this many seconds (the email row exists at once). */
  options: { startAfterSeconds?: number } = {},
) {
  const jobId = randomUUID()
  const row = await insertEmail(tx, {
    workspaceId: email.workspaceId,
    ticketId: email.ticketId ?? null,
    messageId: email.messageId ?? null,
    kind: email.kind,
    // Everything that becomes a header is one line, whatever the caller passed.
    fromAddress: headerValue(email.fromAddress),
    fromName: headerValue(email.fromName),
    toAddress: headerValue(email.toAddress),
    cc: (email.cc ?? []).map(headerValue),
    bcc: (email.bcc ?? []).map(headerValue),
    replyTo: email.replyTo ? headerValue(email.replyTo) : null,
    subject: headerValue(email.subject),
    html: email.html,
    text: email.text,
    bccHtml: email.bccCopy?.html ?? null,
    bccText: email.bccCopy?.text ?? null,
    linkId: email.linkId ?? null,
    attachmentIds: email.attachmentIds ?? [],
    // Stored with the email, so every retry sends the same Message-ID.
    headers: { 'Message-ID': newMessageId(`email-${randomUUID()}`), ...headerRecord(email.headers ?? {}) },
    jobId,
    recipientUserId: email.recipientUserId ?? null,
  })
  await enqueue(
    tx,
    'email.send',
    { emailId: row.id },
    { id: jobId, startAfterSeconds: options.startAfterSeconds },
  )
  return row.id
}

/**
 * How long one attempt's claim on an email holds. Longer than the transport's own timeout
 * (SENDGRID_TIMEOUT_MS, 20 s by default, 40 s at most) plus the writes around it, so a claim never
 * lapses while its HTTP call may still be running in a live process.
 */
export const CLAIM_LEASE_SECONDS = 60

/** Transport calls per email before a 429-only history counts as a failure. */
export const MAX_DELIVERY_ATTEMPTS = 10

/** Longest Retry-After we wait for before retrying (SendGrid sends seconds to minutes). */
const MAX_RETRY_AFTER_SECONDS = 3600

export type DeliveryOutcome =
  | 'sent'
  | 'already-sent'
  | 'already-failed'
  | 'superseded'
  | 'rescheduled'
  | 'failed'
  | 'missing'
  /** A redriven job left a failed email SendGrid may have alone (email-redrive.server.ts). */
  | 'maybe-accepted'
  /** A redriven job found its email `sending` under a dead attempt and settled it (email-redrive.server.ts). */
  | 'settled-in-doubt'
  /** A notification email whose recipient was removed from its workspace: failed, not sent. */
  | 'recipient-left'
  /** An earlier email of its ticket is still on its way: handed to a new job that runs later. */
  | 'deferred'

export type DeliveryResult = { outcome: DeliveryOutcome; events: TicketEvent[] }

/** Thrown when this job's earlier attempt still holds the claim: pg-boss retries it with backoff. */
export class ClaimHeldError extends Error {}

/**
 * Thrown for 5xx and failures that certainly sent nothing (connection refused, DNS), after the
 * claim was released: pg-boss retries.
 */
export class TransientDeliveryError extends Error {}

/**
 * Thrown when the call ended without SendGrid's answer after the request may have reached it: a
 * shutdown aborted it, or it timed out, or the connection was reset or hung up. The claim is kept
 * (its lease runs on): the job's retry (after the restart, or pg-boss's backoff) sends again only
 * once the lease has passed, unless a delivery event for the email arrived meanwhile.
 */
export class InterruptedDeliveryError extends Error {}

/**
 * Thrown when a shutdown had begun before this attempt sent anything (before its claim, or after
 * it but before the request was made, when the claim is released): nothing reached SendGrid, and
 * the worker gives its job back to run after the restart.
 */
export class SendNotStartedError extends Error {}

/** How long a job waits behind an earlier email of its ticket: 1, 2, 4… seconds, 30 at most. */
export function threadWaitSeconds(waits: number) {
  return Math.min(2 ** waits, 30)
}

export type DeliveryOptions = {
  /** Once aborted (a shutdown began), nothing new is sent: SendNotStartedError. */
  noNewSend?: AbortSignal
  /**
   * A worker's job (not a script's one-off delivery): the email waits while an earlier email of its
   * ticket is still on its way, and `waits` says how often this email has waited already.
   */
  threadOrder?: { waits: number }
}

/**
 * Delivers one queued email, at most once from our side however often its job runs, without
 * holding a row lock or a pool connection across the transport's HTTP call:
 *
 * 1. Claim: one UPDATE moves the row `queued → sending` with a lease (CLAIM_LEASE_SECONDS) and
 *    this job's id. Only one attempt can win it; an attempt that loses re-reads the state and
 *    sends nothing (already sent or failed, or owned by another job).
 * 2. Send through the configured transport, with the Message-ID stored at queue time.
 * 3. Mark `sent` with the provider's id (SendGrid's X-Message-Id), guarded by the claim.
 *
 * A `sending` row whose attempt vanished (the process died mid-call) or ended without an answer
 * (a shutdown aborted the call, it timed out, its connection was reset: InterruptedDeliveryError) is taken over only by a retry of the same job, and only once
 * the lease has run out; a delivery event that arrived meanwhile (SendGrid's `processed`, sent
 * as soon as it accepted the request, or a later one) settles it and nothing is sent. That is the
 * at-least-once corner: if SendGrid accepted the email but its answer never reached step 3
 * (the process died, the call was cut off), and no event for it arrived within the lease, the retry sends it again (with the same Message-ID, which most mail clients de-duplicate). The
 * alternative, never retrying a lapsed claim, would lose such emails instead; we prefer a rare
 * duplicate to a lost reply. Every other path sends at most once.
 */
export async function deliverEmail(
  emailId: string,
  jobIdOrNone?: string,
  /** The job's signal: a shutdown's end of grace aborts the HTTP call (see InterruptedDeliveryError). */
  signal?: AbortSignal,
  { noNewSend, threadOrder }: DeliveryOptions = {},
): Promise<DeliveryResult> {
  // Without a job (scripts, tests): a one-off claimant that may take any queued email.
  const jobId = jobIdOrNone ?? `direct-${randomUUID()}`
  const anyQueued = jobIdOrNone === undefined
  // A shutdown that began meanwhile: claim nothing (a send begun now would be cut off at the
  // grace's end, and SendGrid might keep a copy the restart sends again).
  if (signal?.aborted || noNewSend?.aborted) throw new SendNotStartedError('stopped before it started')
  if (threadOrder && jobIdOrNone !== undefined && (await hasEarlierUnsentThreadEmail(getDb(), { emailId }))) {
    const waited = await waitBehindEarlierEmail(emailId, jobIdOrNone, threadOrder.waits)
    if (waited) return waited
  }
  const email = await claimEmail(getDb(), { emailId, jobId, anyQueued, leaseSeconds: CLAIM_LEASE_SECONDS })
  if (!email) {
    if (await failEmailOfFormerMember(getDb(), { emailId })) return { outcome: 'recipient-left', events: [] }
    return { outcome: await whyNotClaimed(emailId, jobId), events: [] }
  }

  let providerId: string
  try {
    providerId = (await transport(email, signal, noNewSend)).providerId
  } catch (error) {
    if (!(error instanceof TransportError)) {
      await releaseClaim(emailId, jobId)
      throw error
    }
    return settleFailure(email, jobId, error)
  }
  return markSent(email, jobId, providerId)
}

/**
 * Hands the queued email to a new job that starts after threadWaitSeconds(waits), carrying
 * waits + 1; this job completes. Nothing when the email is no longer queued for this job. The
 * email is locked first and the earlier ones looked at again: one that finished since lets it go
 * now (undefined: deliverEmail goes on to claim it). The earlier one's end wakes the new job
 * (wakeNextThreadEmail), so the waits are a backstop, not what the email waits for.
 */
async function waitBehindEarlierEmail(
  emailId: string,
  jobId: string,
  waits: number,
): Promise<DeliveryResult | undefined> {
  const nextJobId = randomUUID()
  const handed = await getDb().transaction(async (tx) => {
    if (!(await lockQueuedEmailOfJob(tx, { emailId, jobId }))) return 'not-queued' as const
    if (!(await hasEarlierUnsentThreadEmail(tx, { emailId }))) return 'go' as const
    await handQueuedEmailToJob(tx, { emailId, jobId, nextJobId })
    await enqueue(
      tx,
      'email.send',
      { emailId, threadWaits: waits + 1 },
      { id: nextJobId, startAfterSeconds: threadWaitSeconds(waits) },
    )
    return 'handed' as const
  })
  if (handed === 'go') return undefined
  if (handed === 'handed') return { outcome: 'deferred', events: [] }
  return { outcome: await whyNotClaimed(emailId, jobId), events: [] }
}

/**
 * In the transaction that finished an email of a ticket's thread (sent, failed for good, taken
 * back by Undo send): the later email that waited behind it goes now, not after the rest of its
 * wait (up to 30 s). Its job is moved to now and the queue's NOTIFY wakes the workers of every
 * process at commit. `ticketId` for an email already deleted (an undone reply).
 */
export async function wakeNextThreadEmail(tx: DbOrTx, emailId: string, ticketId?: string) {
  const jobId = await threadJobToWakeAfter(tx, { afterEmailId: emailId, ticketId })
  if (jobId) await wakeJob(tx, 'email.send', jobId)
}

async function whyNotClaimed(emailId: string, jobId: string): Promise<DeliveryOutcome> {
  const row = await getEmailClaimState(getDb(), { emailId })
  if (!row) return 'missing'
  if (row.status === 'sent' || row.status === 'delivered' || row.status === 'bounced') return 'already-sent'
  if (row.status === 'failed') return 'already-failed'
  if (row.status === 'sending' && row.jobId === jobId) {
    // An earlier attempt of this job may still be in its HTTP call: wait for its lease.
    throw new ClaimHeldError(`email claimed by an earlier attempt until ${row.leaseExpiresAt?.toISOString()}`)
  }
  // Queued for, or being sent by, another job (a manual retry, a Retry-After reschedule).
  return 'superseded'
}

async function transport(
  email: ClaimedEmail,
  signal: AbortSignal | undefined,
  noNewSend: AbortSignal | undefined,
) {
  const config = env().email
  if (config.transport === 'outbox') {
    // The local outbox: the emails row itself, readable at /dev/emails in the local profile. Its
    // files are checked as a send reads them, so a missing one fails here too.
    await attachmentsToSend(email, { read: false })
    return { providerId: 'local-outbox' }
  }
  return withAttachmentsToSend(email, (attachments) => sendOne(email, attachments, config, signal, noNewSend))
}

async function sendOne(
  email: ClaimedEmail,
  attachments: TransportAttachment[],
  config: { sendgridApiKey: string; sendgridApiBaseUrl: string; sendgridTimeoutMs: number },
  signal: AbortSignal | undefined,
  noNewSend: AbortSignal | undefined,
) {
  const token = email.linkId === null ? undefined : await emailLinkTokenToSend(email.linkId)
  const message: TransportEmail = {
    emailId: email.id,
    from: { email: email.fromAddress, name: email.fromName },
    to: email.toAddress,
    cc: email.cc,
    bcc: email.bcc,
    replyTo: email.replyTo,
    subject: email.subject,
    // The recipient's copy gets its link's token; an agent reply's BCC copy has no link to fill in.
    text: withEmailLink(email.text, email.linkId, token),
    html: withEmailLink(email.html, email.linkId, token),
    bccCopy:
      email.bccHtml !== null && email.bccText !== null ? { html: email.bccHtml, text: email.bccText } : null,
    headers: email.headers,
    attachments,
  }
  return sendWithSendGrid(
    {
      apiKey: config.sendgridApiKey,
      baseUrl: config.sendgridApiBaseUrl,
      timeoutMs: config.sendgridTimeoutMs,
    },
    message,
    signal,
    noNewSend,
  )
}

async function releaseClaim(emailId: string, jobId: string) {
  await releaseEmailClaim(getDb(), { emailId, jobId })
}

async function markSent(email: ClaimedEmail, jobId: string, providerId: string): Promise<DeliveryResult> {
  return getDb().transaction(async (tx) => {
    const marked = await markClaimedEmailSent(tx, { emailId: email.id, jobId, providerId })
    if (!marked) {
      // A delivery event (processed, delivered, bounce…) settled it during the call: its status
      // stands, and the badge already follows it.
      await recordProviderIdOfSettled(tx, { emailId: email.id, jobId, providerId })
      return { outcome: 'sent' as const, events: [] }
    }
    await wakeNextThreadEmail(tx, email.id)
    const events = await setMessageDelivery(tx, email, 'sent')
    return { outcome: 'sent' as const, events }
  })
}

async function settleFailure(
  email: ClaimedEmail,
  jobId: string,
  error: TransportError,
): Promise<DeliveryResult> {
  if (error.kind === 'transient') {
    await releaseClaim(email.id, jobId)
    throw new TransientDeliveryError(error.message)
  }
  if (error.kind === 'not-started') {
    // Nothing left: released, not "maybe accepted".
    await releaseClaim(email.id, jobId)
    throw new SendNotStartedError(error.message)
  }
  if (error.kind === 'interrupted' || error.kind === 'unanswered') {
    // Not released: SendGrid may have it. The lease makes the rerun wait, so a delivery event
    // (processed or deferred: accepted; delivered, bounce, dropped: delivery-events.server.ts)
    // can still settle it first, and the rerun's claim then finds it no longer `sending`.
    const note =
      error.kind === 'unanswered'
        ? `${error.message}. It may have reached SendGrid: sent again only if no delivery event for it arrives within the claim's lease (${CLAIM_LEASE_SECONDS} s from now)`
        : error.message
    await noteInterruptedSend(getDb(), {
      emailId: email.id,
      jobId,
      error: note.slice(0, 1000),
      leaseSeconds: CLAIM_LEASE_SECONDS,
    })
    throw new InterruptedDeliveryError(note)
  }
  if (error.kind === 'rate-limited' && email.attempts < MAX_DELIVERY_ATTEMPTS) {
    // pg-boss has no per-failure delay: this job completes, and a new one (recorded on the row,
    // so only it may send) starts after the Retry-After, or after our own backoff without one.
    const delay = Math.min(
      Math.max(1, error.retryAfterSeconds ?? 2 ** email.attempts),
      MAX_RETRY_AFTER_SECONDS,
    )
    const nextJobId = randomUUID()
    await getDb().transaction(async (tx) => {
      const requeued = await requeueClaimedEmail(tx, {
        emailId: email.id,
        jobId,
        nextJobId,
        error: error.message.slice(0, 1000),
      })
      if (requeued)
        await enqueue(tx, 'email.send', { emailId: email.id }, { id: nextJobId, startAfterSeconds: delay })
    })
    return { outcome: 'rescheduled', events: [] }
  }
  const reason =
    error.kind === 'rate-limited'
      ? `${error.message} (gave up after ${email.attempts} attempts)`
      : error.message
  const events = await getDb().transaction(async (tx) => {
    const failed = await failClaimedEmail(tx, { emailId: email.id, jobId, error: reason.slice(0, 1000) })
    if (!failed) return []
    await wakeNextThreadEmail(tx, email.id)
    return setMessageDelivery(tx, email, 'failed')
  })
  return { outcome: 'failed', events }
}

type EmailOfMessage = {
  messageId: string | null
  ticketId: string | null
  workspaceId: string | null
  ticketNumber: number | null
}

/** The agent reply's badge follows its email; returns the live event for the ticket page. */
export async function setMessageDelivery(
  tx: DbOrTx,
  email: EmailOfMessage,
  status: 'queued' | 'sent' | 'failed',
): Promise<TicketEvent[]> {
  if (!email.messageId) return []
  await setMessageDeliveryStatus(tx, { messageId: email.messageId, status })
  if (!email.ticketId || !email.workspaceId || email.ticketNumber === null) return []
  return [
    {
      type: 'message.delivery',
      workspaceId: email.workspaceId,
      ticketId: email.ticketId,
      number: email.ticketNumber,
      messageId: email.messageId,
      status,
      at: new Date().toISOString(),
    },
  ]
}

export type RetryOutcome =
  | { kind: 'queued'; events: TicketEvent[] }
  /** SendGrid may already have this email (its last attempt got no answer): asks first. */
  | { kind: 'needs-confirmation' }
  /** Not failed (any more): queued, sent or settled by an event meanwhile. Nothing was queued. */
  | { kind: 'not-failed' }
  | { kind: 'not-found' }

/**
 * An agent's "Retry" on a reply whose email failed: the same email row (same Message-ID, same
 * rendered body) goes back to `queued` with a fresh attempt count and a new job, in one
 * transaction with its audit entry. Only emails of the member's workspace, and only failed ones.
 * One SendGrid may have accepted (`maybe_accepted`: an attempt got no answer) is queued only when
 * the agent confirmed that the customer may get it twice; the row is read under its lock, so an
 * event or a teammate's Retry that got there first wins and nothing more is queued.
 */
export async function retryEmailDelivery(
  member: { workspaceId: string; userId: string },
  ticketNumber: number,
  messageId: string,
  { confirmed = false }: { confirmed?: boolean } = {},
): Promise<RetryOutcome> {
  return getDb().transaction(async (tx) => {
    const found = await lockEmailOfMessage(tx, { workspaceId: member.workspaceId, ticketNumber, messageId })
    if (!found) return { kind: 'not-found' as const }
    if (found.status !== 'failed') return { kind: 'not-failed' as const }
    if (found.maybeAccepted && !confirmed) return { kind: 'needs-confirmation' as const }
    const jobId = randomUUID()
    const email = await requeueFailedEmail(tx, { workspaceId: member.workspaceId, emailId: found.id, jobId })
    if (!email) return { kind: 'not-failed' as const }
    await enqueue(tx, 'email.send', { emailId: email.id }, { id: jobId })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'message.delivery-retried',
      targetType: 'ticket',
      targetId: email.ticketId,
      data: found.maybeAccepted ? { messageId, mayArriveTwice: true } : { messageId },
    })
    return { kind: 'queued' as const, events: await setMessageDelivery(tx, email, 'queued') }
  })
}
