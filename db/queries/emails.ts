import { and, desc, eq, gt, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { executePrepared } from '../prepared.ts'
import { uuidv7 } from '../uuid.ts'
import { attachments, emailEvents, emails, memberships, messages } from '../schema.ts'
import { attachmentFileColumns } from './tickets.ts'

type EmailStatus = (typeof emails.$inferSelect)['status']

/**
 * The attachment rows an email names, only those of `workspaceId` (an email of another workspace
 * naming one gets nothing of it), in the order the email names them.
 */
export async function emailAttachmentRows(
  db: DbOrTx,
  { workspaceId, attachmentIds }: { workspaceId: string | null; attachmentIds: string[] },
) {
  if (workspaceId === null || attachmentIds.length === 0) return []
  const rows = await db
    .select(attachmentFileColumns)
    .from(attachments)
    .where(and(inArray(attachments.id, attachmentIds), eq(attachments.workspaceId, workspaceId)))
  const byId = new Map(rows.map((r) => [r.id, r]))
  return attachmentIds.flatMap((id) => byId.get(id) ?? [])
}

/** The newest emails first, for the local outbox viewer. */
export async function listOutboxEmails(db: DbOrTx, { limit }: { limit: number }) {
  return db
    .select({
      id: emails.id,
      toAddress: emails.toAddress,
      subject: emails.subject,
      kind: emails.kind,
      status: emails.status,
      createdAt: emails.createdAt,
    })
    .from(emails)
    .orderBy(desc(emails.createdAt), desc(emails.id))
    .limit(limit)
}

/** One email as the local outbox viewer shows it: headers, text and HTML. */
export async function getOutboxEmail(db: DbOrTx, { id }: { id: string }) {
  const [row] = await db
    .select({
      id: emails.id,
      kind: emails.kind,
      status: emails.status,
      fromAddress: emails.fromAddress,
      fromName: emails.fromName,
      toAddress: emails.toAddress,
      replyTo: emails.replyTo,
      subject: emails.subject,
      headers: emails.headers,
      text: emails.text,
      html: emails.html,
      linkId: emails.linkId,
      workspaceId: emails.workspaceId,
      attachmentIds: emails.attachmentIds,
      error: emails.error,
      createdAt: emails.createdAt,
      sentAt: emails.sentAt,
    })
    .from(emails)
    .where(eq(emails.id, id))
  return row
}

/** The email a SendGrid event reports on (by our id, else SendGrid's message id), locked for the update. */
export async function lockEmailForEvent(
  db: DbOrTx,
  { emailId, providerId }: { emailId?: string; providerId?: string },
) {
  const [row] = await db
    .select({
      id: emails.id,
      status: emails.status,
      maybeAccepted: emails.maybeAccepted,
      workspaceId: emails.workspaceId,
      messageId: emails.messageId,
      ticketId: emails.ticketId,
      to: emails.toAddress,
      cc: emails.cc,
      bcc: emails.bcc,
      ticketNumber: sql<number | null>`(select t.number from tickets t where t.id = ${emails.ticketId})`,
    })
    .from(emails)
    .where(emailId ? eq(emails.id, emailId) : providerId ? eq(emails.providerId, providerId) : sql`false`)
    .limit(1)
    .for('update')
  return row
}

/** Stores a SendGrid event once (its sg_event_id is the key); false when it was already stored. */
export async function insertEmailEvent(
  db: DbOrTx,
  values: { sgEventId: string; emailId: string; event: string; reason: string | null; occurredAt: Date },
) {
  const inserted = await db
    .insert(emailEvents)
    .values(values)
    .onConflictDoNothing()
    .returning({ id: emailEvents.sgEventId })
  return inserted.length > 0
}

/**
 * The email's delivery status and error from a SendGrid event, and its message's delivery status.
 * The event says what SendGrid did with it, so it no longer "may have been accepted"; delivered
 * also dates a send no attempt recorded (a failed email whose last attempt got no answer).
 */
export async function setEmailDeliveryStatus(
  db: DbOrTx,
  {
    emailId,
    messageId,
    status,
    error,
  }: { emailId: string; messageId: string | null; status: EmailStatus; error: string | null },
) {
  await db
    .update(emails)
    .set({
      status,
      error,
      maybeAccepted: false,
      ...(status === 'delivered' ? { sentAt: sql`coalesce(${emails.sentAt}, now())` } : {}),
    })
    .where(eq(emails.id, emailId))
  if (messageId) await db.update(messages).set({ deliveryStatus: status }).where(eq(messages.id, messageId))
}

/**
 * SendGrid accepted the email (its `processed` or `deferred` event) while we still had it queued
 * or claimed, or had given up on it after an attempt it never answered (`failed` with
 * `maybe_accepted`): `sent`, its claim and lease gone, so no attempt claims it again. Keeps the
 * provider id an attempt stored, else takes the event's.
 */
export async function markEmailAcceptedByEvent(
  db: DbOrTx,
  { emailId, messageId, providerId }: { emailId: string; messageId: string | null; providerId?: string },
) {
  await db
    .update(emails)
    .set({
      status: 'sent',
      sentAt: sql`coalesce(${emails.sentAt}, now())`,
      providerId: sql`coalesce(${emails.providerId}, ${providerId ?? null})`,
      error: null,
      leaseExpiresAt: null,
      maybeAccepted: false,
    })
    .where(
      and(
        eq(emails.id, emailId),
        or(
          inArray(emails.status, ['queued', 'sending']),
          and(eq(emails.status, 'failed'), eq(emails.maybeAccepted, true)),
        ),
      ),
    )
  if (messageId) await db.update(messages).set({ deliveryStatus: 'sent' }).where(eq(messages.id, messageId))
}

/** Whether an email of `kind` went to `address` (lower case) in the workspace since `since`. */
export async function hasRecentEmailTo(
  db: DbOrTx,
  {
    workspaceId,
    kind,
    address,
    since,
  }: { workspaceId: string; kind: (typeof emails.$inferSelect)['kind']; address: string; since: Date },
) {
  const [row] = await db
    .select({ id: emails.id })
    .from(emails)
    .where(
      and(
        eq(emails.workspaceId, workspaceId),
        eq(emails.kind, kind),
        sql`lower(${emails.toAddress}) = ${address}`,
        gt(emails.createdAt, since),
      ),
    )
    .limit(1)
  return Boolean(row)
}

// Delivery (app/domain/email.server.ts): queueing, the claim, and settling an attempt.

/** What an email is made of: stored when it is queued, read back when a job claims it. */
type EmailContent = {
  /** Null for an account email (sign-up, password reset) that belongs to no workspace. */
  workspaceId: string | null
  ticketId: string | null
  messageId: string | null
  fromAddress: string
  fromName: string
  toAddress: string
  cc: string[]
  bcc: string[]
  replyTo: string | null
  subject: string
  html: string
  text: string
  /** The BCC recipients' copy when it differs from html/text (no private link); null otherwise. */
  bccHtml: string | null
  bccText: string | null
  /** The link whose token replaces its placeholder in html/text when sent (email-link.server.ts). */
  linkId: string | null
  /** The attachments sent with it (attachments.id of its workspace), in the order it lists them. */
  attachmentIds: string[]
  headers: Record<string, string>
}

export type NewEmail = EmailContent & {
  kind: string
  jobId: string
  /** A notification email's recipient: sent only while a member of the email's workspace. */
  recipientUserId: string | null
}

/**
 * A queued email's row, as a named prepared statement: every agent reply inserts one inside its
 * request, and the query builder's per-call SQL building and PostgreSQL's parse and plan of this
 * 19-column insert were both paid per reply.
 */
export async function insertEmail(db: DbOrTx, values: NewEmail) {
  const id = uuidv7()
  await executePrepared(
    db,
    sql`insert into emails (id, workspace_id, ticket_id, message_id, kind, from_address, from_name, to_address,
      cc, bcc, reply_to, subject, html, text, bcc_html, bcc_text, link_id, attachment_ids, headers, job_id,
      recipient_user_id)
    values (${id}, ${values.workspaceId}, ${values.ticketId}, ${values.messageId}, ${values.kind},
      ${values.fromAddress}, ${values.fromName}, ${values.toAddress}, ${sql.param(values.cc)}::text[], ${sql.param(values.bcc)}::text[],
      ${values.replyTo}, ${values.subject}, ${values.html}, ${values.text}, ${values.bccHtml}, ${values.bccText},
      ${values.linkId}::uuid, ${sql.param(values.attachmentIds)}::uuid[], ${JSON.stringify(values.headers)}::jsonb,
      ${values.jobId}, ${values.recipientUserId}::uuid)`,
  )
  return { id }
}

const ticketNumberOfEmail = sql<
  number | null
>`(select t.number from tickets t where t.id = ${emails.ticketId})`

const claimedColumns = {
  id: emails.id,
  workspaceId: emails.workspaceId,
  ticketId: emails.ticketId,
  messageId: emails.messageId,
  fromAddress: emails.fromAddress,
  fromName: emails.fromName,
  toAddress: emails.toAddress,
  cc: emails.cc,
  bcc: emails.bcc,
  replyTo: emails.replyTo,
  subject: emails.subject,
  html: emails.html,
  text: emails.text,
  bccHtml: emails.bccHtml,
  bccText: emails.bccText,
  linkId: emails.linkId,
  attachmentIds: emails.attachmentIds,
  headers: emails.headers,
  attempts: emails.attempts,
  ticketNumber: ticketNumberOfEmail,
}
export type ClaimedEmail = EmailContent & {
  id: string
  attempts: number
  ticketNumber: number | null
}

/**
 * Claims the email for this job in one UPDATE: `queued → sending` (queued for this job or for none;
 * `anyQueued`: any queued email), or a `sending` row of this job whose lease ran out, with a new
 * lease and one more attempt. Undefined when the claim was not won.
 */
/** The email's recipient (a notification's) is a member of the email's workspace. */
const recipientIsMember = sql`exists (select 1 from ${memberships} m
  where m.workspace_id = ${emails.workspaceId} and m.user_id = ${emails.recipientUserId})`

/** Why a notification email was not sent to someone no longer a member (its recorded error). */
export const RECIPIENT_LEFT_ERROR = 'Not sent: the recipient is no longer a member of this workspace.'

/**
 * Marks a queued notification email whose recipient is no longer a member of its workspace
 * failed, with RECIPIENT_LEFT_ERROR; true if it did. What a send does with one its claim refused.
 */
export async function failEmailOfFormerMember(db: DbOrTx, { emailId }: { emailId: string }) {
  const rows = await db
    .update(emails)
    .set({ status: 'failed', error: RECIPIENT_LEFT_ERROR, leaseExpiresAt: null })
    .where(
      and(
        eq(emails.id, emailId),
        eq(emails.status, 'queued'),
        sql`${emails.recipientUserId} is not null`,
        sql`not ${recipientIsMember}`,
      ),
    )
    .returning({ id: emails.id })
  return rows.length > 0
}

/** A removed member's queued notification emails of the workspace, marked failed (removeMember). */
export async function failQueuedNotificationEmailsTo(
  db: DbOrTx,
  { workspaceId, userId }: { workspaceId: string; userId: string },
) {
  await db
    .update(emails)
    .set({ status: 'failed', error: RECIPIENT_LEFT_ERROR })
    .where(
      and(
        eq(emails.recipientUserId, userId),
        eq(emails.workspaceId, workspaceId),
        eq(emails.status, 'queued'),
      ),
    )
}

export async function claimEmail(
  db: DbOrTx,
  {
    emailId,
    jobId,
    anyQueued,
    leaseSeconds,
  }: { emailId: string; jobId: string; anyQueued: boolean; leaseSeconds: number },
): Promise<ClaimedEmail | undefined> {
  const [email]: ClaimedEmail[] = await db
    .update(emails)
    .set({
      status: 'sending',
      jobId,
      leaseExpiresAt: sql`now() + make_interval(secs => ${leaseSeconds})`,
      attempts: sql`${emails.attempts} + 1`,
    })
    .where(
      and(
        eq(emails.id, emailId),
        or(
          and(
            eq(emails.status, 'queued'),
            anyQueued ? undefined : or(isNull(emails.jobId), eq(emails.jobId, jobId)),
          ),
          and(eq(emails.status, 'sending'), eq(emails.jobId, jobId), lt(emails.leaseExpiresAt, sql`now()`)),
        ),
        // A notification email goes only to someone still a member of its workspace: a mention or
        // a customer reply that raced their removal queued it after the removal's sweep.
        or(isNull(emails.recipientUserId), recipientIsMember),
      ),
    )
    .returning(claimedColumns)
  return email
}

/**
 * Whether an earlier email of the same ticket's thread (to its customer: an agent reply, the
 * confirmation, the auto-acknowledgement) is still on its way: `sending`, or `queued` under a job
 * that may still run (waiting, held for undo send, or retrying). One ticket's emails then leave
 * in the order they were written (uuidv7 ids). A queued email whose job is gone (dead-lettered)
 * holds nothing back.
 */
export async function hasEarlierUnsentThreadEmail(db: DbOrTx, { emailId }: { emailId: string }) {
  const result = await db.execute<{ waits: boolean }>(sql`
    select exists (
      select 1 from emails mine
      join emails e on e.ticket_id = mine.ticket_id and e.id < mine.id
      where mine.id = ${emailId}
        and mine.kind in ('agent-reply', 'ticket-confirmation', 'auto-acknowledgement')
        and e.kind in ('agent-reply', 'ticket-confirmation', 'auto-acknowledgement')
        and (
          e.status = 'sending'
          or (e.status = 'queued' and exists (
            select 1 from pgboss.job j
            where j.name = 'email.send'
              and j.id = case when e.job_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                              then e.job_id::uuid end
              and j.state in ('created', 'retry', 'active')
          ))
        )
    ) as waits`)
  return result.rows[0]?.waits === true
}

/** Hands a queued email of this job (or of none) to the job `nextJobId`; undefined when not queued for it. */
/** The kinds of email to a ticket's customer, which leave in the order they were written. */
const THREAD_ORDERED_KINDS = sql`('agent-reply', 'ticket-confirmation', 'auto-acknowledgement')`

/**
 * An email of a ticket's thread has finished (sent, failed for good, or taken back by Undo send):
 * the job to wake of the email that waited behind it, if any. That is the first later email of the
 * thread still on its way (as hasEarlierUnsentThreadEmail counts them), when its job is one that
 * waited behind an earlier one (`threadWaits` in its data) and has not begun. A held reply, a
 * retry after a 5xx or a Retry-After reschedule keeps its time. The later emails are locked first,
 * in id order: a job deferring one of them (waitBehindEarlierEmail) locks it before it looks at the
 * earlier ones, so either it sees this one finished, or its new job is what this finds.
 * `ticketId` for an email already deleted (an undone reply); else the finished email's, when it
 * is one of the thread's.
 */
export async function threadJobToWakeAfter(
  db: DbOrTx,
  { afterEmailId, ticketId }: { afterEmailId: string; ticketId?: string },
) {
  const ticket = ticketId
    ? sql`${ticketId}::uuid`
    : sql`(select f.ticket_id from emails f where f.id = ${afterEmailId} and f.kind in ${THREAD_ORDERED_KINDS})`
  const laterOnTheirWay = sql`e.ticket_id = ${ticket} and e.id > ${afterEmailId}
    and e.kind in ${THREAD_ORDERED_KINDS} and e.status in ('queued', 'sending')`
  const later = await db.execute<{ id: string }>(sql`
    select e.id from emails e where ${laterOnTheirWay} order by e.id for update`)
  if (later.rows.length === 0) return undefined
  // A statement of its own, after the locks: it sees the jobs of what committed before them.
  const result = await db.execute<{ jobId: string | null; deferred: boolean }>(sql`
    select j.id::text as "jobId", (j.state = 'created' and j.data ? 'threadWaits') as deferred
    from emails e
    left join pgboss.job j on j.name = 'email.send'
      and j.id = case when e.job_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                      then e.job_id::uuid end
      and j.state in ('created', 'retry', 'active')
    where ${laterOnTheirWay} and (e.status = 'sending' or (e.status = 'queued' and j.id is not null))
    order by e.id
    limit 1`)
  const next = result.rows[0]
  return next?.deferred && next.jobId ? next.jobId : undefined
}

/**
 * Locks a queued email of this job before it is handed to another (waitBehindEarlierEmail), so
 * the wait is decided on what committed after the lock (threadJobToWakeAfter locks it too).
 */
export async function lockQueuedEmailOfJob(
  db: DbOrTx,
  { emailId, jobId }: { emailId: string; jobId: string },
) {
  const [row] = await db
    .select({ id: emails.id })
    .from(emails)
    .where(
      and(
        eq(emails.id, emailId),
        eq(emails.status, 'queued'),
        or(isNull(emails.jobId), eq(emails.jobId, jobId)),
      ),
    )
    .for('update')
  return row
}

export async function handQueuedEmailToJob(
  db: DbOrTx,
  { emailId, jobId, nextJobId }: { emailId: string; jobId: string; nextJobId: string },
) {
  const [row] = await db
    .update(emails)
    .set({ jobId: nextJobId })
    .where(
      and(
        eq(emails.id, emailId),
        eq(emails.status, 'queued'),
        or(isNull(emails.jobId), eq(emails.jobId, jobId)),
      ),
    )
    .returning({ id: emails.id })
  return row
}

/** The email's delivery state: status, the job holding it, the lease. */
export async function getEmailClaimState(db: DbOrTx, { emailId }: { emailId: string }) {
  const [row] = await db
    .select({ status: emails.status, jobId: emails.jobId, leaseExpiresAt: emails.leaseExpiresAt })
    .from(emails)
    .where(eq(emails.id, emailId))
  return row
}

/** The claim of this job, and only this job, on a `sending` row. */
const heldBy = (emailId: string, jobId: string) =>
  and(eq(emails.id, emailId), eq(emails.status, 'sending'), eq(emails.jobId, jobId))

/** Gives this job's claim back (`sending → queued`). */
export async function releaseEmailClaim(db: DbOrTx, { emailId, jobId }: { emailId: string; jobId: string }) {
  await db.update(emails).set({ status: 'queued', leaseExpiresAt: null }).where(heldBy(emailId, jobId))
}

/**
 * Notes on the email why its send was cut off, if this job still holds its claim; the claim stays
 * (an interrupted send may have reached the provider), with a whole lease counted from now, the
 * end of the attempt, so a delivery event has all of it to arrive before a retry sends again.
 */
export async function noteInterruptedSend(
  db: DbOrTx,
  {
    emailId,
    jobId,
    error,
    leaseSeconds,
  }: { emailId: string; jobId: string; error: string; leaseSeconds: number },
) {
  await db
    .update(emails)
    .set({ error, maybeAccepted: true, leaseExpiresAt: sql`now() + make_interval(secs => ${leaseSeconds})` })
    .where(heldBy(emailId, jobId))
}

/** Marks the email sent, if this job still holds its claim; false when it does not. */
export async function markClaimedEmailSent(
  db: DbOrTx,
  { emailId, jobId, providerId }: { emailId: string; jobId: string; providerId: string },
) {
  const updated = await db
    .update(emails)
    .set({ status: 'sent', sentAt: new Date(), providerId, error: null, leaseExpiresAt: null })
    .where(heldBy(emailId, jobId))
    .returning({ id: emails.id })
  return updated.length > 0
}

/**
 * Stores SendGrid's id on an email a delivery event settled while this job's call was still
 * waiting for its answer (the status the event set stays), so later events find it by that id.
 */
export async function recordProviderIdOfSettled(
  db: DbOrTx,
  { emailId, jobId, providerId }: { emailId: string; jobId: string; providerId: string },
) {
  await db
    .update(emails)
    .set({ providerId })
    .where(and(eq(emails.id, emailId), eq(emails.jobId, jobId), isNull(emails.providerId)))
}

/** Queues the email again for another job, if this job still holds its claim; undefined otherwise. */
export async function requeueClaimedEmail(
  db: DbOrTx,
  { emailId, jobId, nextJobId, error }: { emailId: string; jobId: string; nextJobId: string; error: string },
) {
  const [row] = await db
    .update(emails)
    .set({ status: 'queued', jobId: nextJobId, leaseExpiresAt: null, error })
    .where(heldBy(emailId, jobId))
    .returning({ id: emails.id })
  return row
}

/** Marks the email failed, if this job still holds its claim; undefined otherwise. */
export async function failClaimedEmail(
  db: DbOrTx,
  { emailId, jobId, error }: { emailId: string; jobId: string; error: string },
) {
  const [row] = await db
    .update(emails)
    .set({ status: 'failed', error, leaseExpiresAt: null })
    .where(heldBy(emailId, jobId))
    .returning({ id: emails.id })
  return row
}

/** The message's delivery badge. */
export async function setMessageDeliveryStatus(
  db: DbOrTx,
  { messageId, status }: { messageId: string; status: 'queued' | 'sent' | 'failed' },
) {
  await db.update(messages).set({ deliveryStatus: status }).where(eq(messages.id, messageId))
}

/**
 * Marks a queued or sending email of this job failed; undefined when it was neither (or another
 * job's now). A `sending` one is still claimed by an attempt whose answer was never recorded, so
 * SendGrid may hold it: it is marked `maybe_accepted` and its error says so (`unansweredError`).
 */
export async function failPendingEmail(
  db: DbOrTx,
  {
    emailId,
    jobId,
    error,
    unansweredError,
  }: { emailId: string; jobId: string; error: string; unansweredError: string },
) {
  const [row] = await db
    .update(emails)
    .set({
      status: 'failed',
      error: sql`case when ${emails.status} = 'sending' then ${unansweredError} else ${error} end`,
      maybeAccepted: sql`${emails.maybeAccepted} or ${emails.status} = 'sending'`,
      leaseExpiresAt: null,
    })
    .where(
      and(
        eq(emails.id, emailId),
        inArray(emails.status, ['queued', 'sending']),
        or(isNull(emails.jobId), eq(emails.jobId, jobId)),
      ),
    )
    .returning({
      messageId: emails.messageId,
      ticketId: emails.ticketId,
      workspaceId: emails.workspaceId,
      ticketNumber: ticketNumberOfEmail,
    })
  return row
}

/**
 * The email of the message on the workspace's ticket `ticketNumber`, locked for a Retry: its
 * status and whether SendGrid may hold it; undefined when there is none in this workspace.
 */
export async function lockEmailOfMessage(
  db: DbOrTx,
  { workspaceId, ticketNumber, messageId }: { workspaceId: string; ticketNumber: number; messageId: string },
) {
  const [row] = await db
    .select({ id: emails.id, status: emails.status, maybeAccepted: emails.maybeAccepted })
    .from(emails)
    .where(
      and(
        eq(emails.workspaceId, workspaceId),
        eq(emails.messageId, messageId),
        sql`exists (select 1 from tickets t where t.id = ${emails.ticketId}
            and t.workspace_id = ${workspaceId} and t.number = ${ticketNumber})`,
      ),
    )
    .orderBy(desc(emails.createdAt))
    .limit(1)
    .for('update')
  return row
}

/**
 * Queues a failed email again, with a fresh attempt count and a new job; undefined when it is not
 * failed. `maybe_accepted` stays: a copy an earlier attempt may have handed SendGrid is still out there.
 */
export async function requeueFailedEmail(
  db: DbOrTx,
  { workspaceId, emailId, jobId }: { workspaceId: string; emailId: string; jobId: string },
) {
  return requeueEmail(
    db,
    and(eq(emails.workspaceId, workspaceId), eq(emails.id, emailId), eq(emails.status, 'failed')),
    jobId,
  )
}

/** The emails `where` matches back to `queued` under `jobId`, attempts from 0: the message's badge fields. */
async function requeueEmail(db: DbOrTx, where: SQL | undefined, jobId: string) {
  const [row] = await db
    .update(emails)
    .set({ status: 'queued', attempts: 0, error: null, jobId, leaseExpiresAt: null })
    .where(where)
    .returning({
      id: emails.id,
      messageId: emails.messageId,
      ticketId: emails.ticketId,
      workspaceId: emails.workspaceId,
      ticketNumber: ticketNumberOfEmail,
    })
  return row
}

/**
 * The email's delivery state, locked, for a job taking over from the job pg-boss gave up on (a
 * redrive or retry of it): who owns it, whether SendGrid may hold it, whether its lease lapsed.
 */
export async function lockEmailForTakeover(db: DbOrTx, { emailId }: { emailId: string }) {
  const [row] = await db
    .select({
      status: emails.status,
      jobId: emails.jobId,
      maybeAccepted: emails.maybeAccepted,
      leaseLapsed: sql<boolean>`coalesce(${emails.leaseExpiresAt} < now(), true)`,
      leaseExpiresAt: emails.leaseExpiresAt,
    })
    .from(emails)
    .where(eq(emails.id, emailId))
    .for('update')
  return row
}

/**
 * Hands a `queued` email, or a `failed` one SendGrid certainly does not have (no
 * `maybe_accepted`), from the job `ownerJobId` to `jobId`, queued with a fresh attempt count (as
 * an agent's Retry does); undefined when it is not such an email of that job (any more).
 */
export async function requeueGivenUpEmail(
  db: DbOrTx,
  { emailId, ownerJobId, jobId }: { emailId: string; ownerJobId: string; jobId: string },
) {
  return requeueEmail(
    db,
    and(
      eq(emails.id, emailId),
      eq(emails.jobId, ownerJobId),
      or(eq(emails.status, 'queued'), and(eq(emails.status, 'failed'), eq(emails.maybeAccepted, false))),
    ),
    jobId,
  )
}

/** The ticket's failed emails: their message and why they failed. */
export async function listFailedTicketEmails(
  db: DbOrTx,
  { workspaceId, ticketId }: { workspaceId: string; ticketId: string },
) {
  return db
    .select({ messageId: emails.messageId, error: emails.error })
    .from(emails)
    .where(
      and(eq(emails.workspaceId, workspaceId), eq(emails.ticketId, ticketId), eq(emails.status, 'failed')),
    )
}

/**
 * Gives a `sending` email of this job (its last attempt got no answer, or its job died) to a new
 * job for one more attempt, if its kind is one of `kinds` and it never had that extra attempt:
 * `queued` with `maybe_accepted` and the note as its error, so a delivery event arriving before
 * the new job runs still settles it (and the new job's claim then finds it settled). Undefined
 * when it is not such an email (any more).
 */
export async function requeueUnansweredEmail(
  db: DbOrTx,
  {
    emailId,
    jobId,
    nextJobId,
    kinds,
    error,
  }: { emailId: string; jobId: string; nextJobId: string; kinds: readonly string[]; error: string },
) {
  const [row] = await db
    .update(emails)
    .set({
      status: 'queued',
      jobId: nextJobId,
      leaseExpiresAt: null,
      maybeAccepted: true,
      resentAfterDoubt: true,
      error,
    })
    .where(
      and(
        heldBy(emailId, jobId),
        inArray(emails.kind, kinds as (typeof emails.$inferSelect)['kind'][]),
        eq(emails.resentAfterDoubt, false),
      ),
    )
    .returning({ id: emails.id })
  return row
}

/**
 * `sending` emails whose claim lapsed more than `staleSeconds` ago and whose email.send job is
 * no longer waiting, retrying or running (pg-boss failed it: its process died on every attempt,
 * and the last one's handler never ran its catch), locked (skipping rows another sweep has).
 * A live attempt's HTTP call ends within the transport's timeout, well inside its lease, so
 * nothing such a row names is still being sent.
 */
export async function lockAbandonedEmails(
  db: DbOrTx,
  { staleSeconds, limit }: { staleSeconds: number; limit: number },
) {
  const result = await db.execute<{ id: string; jobId: string | null }>(sql`
    select e.id, e.job_id as "jobId" from emails e
    where e.status = 'sending'
      and e.lease_expires_at < now() - make_interval(secs => ${staleSeconds})
      and not exists (
        select 1 from pgboss.job j
        where j.name = 'email.send'
          and j.id = case when e.job_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                          then e.job_id::uuid end
          and j.state in ('created', 'retry', 'active')
      )
    order by e.lease_expires_at
    limit ${limit}
    for update of e skip locked`)
  return result.rows
}
