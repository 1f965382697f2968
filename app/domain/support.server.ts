import { getDb, type Tx } from '#db/client.ts'
import { getMailboxByKey, listMailboxes } from '#db/queries/mailboxes.ts'
import { findRepeatedWebTicket, lockSupportSender } from '#db/queries/messages.ts'
import { getWorkspaceBySlug } from '#db/queries/workspaces.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import type { SupportRequest } from '#app/utils/support-schemas.ts'
import { REPEAT_WITHIN_SECONDS } from './customer-portal.server.ts'
import { slotFree, takeSlot, type Limit } from './rate-limit.server.ts'
import { reserveAutomaticEmail } from './outbound-email-limit.server.ts'
import { createTicket, type StoredFile } from './tickets.server.ts'

/** Five tickets per ten minutes from one address, and the same for one email address. */
export const SUPPORT_FORM_LIMIT: Limit = { max: 5, windowMs: 10 * 60 * 1000 }

export type SupportTarget = {
  workspace: { id: string; name: string; slug: string }
  mailbox: { id: string; key: string }
}

/**
 * Where the public form at /support/<slug>[/<mailbox>] files its tickets: the named mailbox, or
 * the workspace's first active one. Undefined when the workspace or mailbox does not exist.
 */
export async function findSupportTarget(
  slug: string,
  mailboxKey?: string,
): Promise<SupportTarget | undefined> {
  if (slug.length > 100 || (mailboxKey !== undefined && mailboxKey.length > 100)) return undefined
  const db = getDb()
  const workspace = await getWorkspaceBySlug(db, slug)
  if (!workspace) return undefined
  let mailbox: Awaited<ReturnType<typeof getMailboxByKey>> | undefined =
    mailboxKey === undefined
      ? (await listMailboxes(db, { workspaceId: workspace.id }))[0]
      : await getMailboxByKey(db, { workspaceId: workspace.id, key: mailboxKey })
  if (!mailbox && mailboxKey !== undefined) {
    // An archived mailbox's form (a page a customer left open, an old link): the request goes to
    // the workspace's first active mailbox rather than being lost to a 404 with what they wrote.
    const all = await listMailboxes(db, { workspaceId: workspace.id, includeArchived: true })
    if (all.some((m) => m.key === mailboxKey && m.archivedAt !== null)) {
      mailbox = all.find((m) => m.archivedAt === null)
    }
  }
  if (!mailbox) return undefined
  return {
    workspace: { id: workspace.id, name: workspace.name, slug: workspace.slug },
    mailbox: { id: mailbox.id, key: mailbox.key },
  }
}

const limiterKeys = (clientIp: string, email: string) => [
  `support:ip:${clientIp}`,
  `support:email:${email.toLowerCase()}`,
]

export type SupportRequestOutcome =
  /** `emailed`: false when the workspace's automatic emails for the hour were used up. */
  | { kind: 'created'; number: number; events: TicketEvent[]; emailed: boolean }
  | { kind: 'limited' }
  | { kind: 'unknown-mailbox' }

/**
 * Whether the form's limits leave room for one more request from this address (and from this
 * email, when the form gave one before its files), read without taking a slot: a post over them
 * is answered without its files being written (supportRequestOverLimit). submitSupportRequest
 * still reserves the slots, atomically.
 */
export async function supportFormOpen(clientIp: string, email: string | undefined) {
  const keys = limiterKeys(clientIp, email ?? '').slice(0, email ? 2 : 1)
  const free = await Promise.all(keys.map((key) => slotFree(key, SUPPORT_FORM_LIMIT)))
  return free.every(Boolean)
}

/** One sender's posts to this workspace one at a time; a recent ticket with this same post. */
async function findRepeatedPost(
  tx: Tx,
  target: SupportTarget,
  input: Omit<SupportRequest, 'website'>,
  sha256s: string[],
) {
  await lockSupportSender(tx, { workspaceId: target.workspace.id, email: input.email })
  return findRepeatedWebTicket(tx, {
    workspaceId: target.workspace.id,
    mailboxId: target.mailbox.id,
    email: input.email,
    subject: input.subject,
    body: input.message,
    sha256s,
    seconds: REPEAT_WITHIN_SECONDS,
  })
}

/**
 * The answer to a request over the form's limits, taking no slot: a copy of a post that made its
 * ticket (a burst of resends took the slots before the first was seen to be a copy) is answered as
 * that post was; only a new request is refused. `files` need not be stored (their sha256s only).
 */
export async function supportRequestOverLimit(
  target: SupportTarget,
  input: Omit<SupportRequest, 'website'>,
  files: StoredFile[],
): Promise<SupportRequestOutcome> {
  const sha256s = files.map((f) => f.sha256)
  const repeated = await getDb().transaction((tx) => findRepeatedPost(tx, target, input, sha256s))
  if (repeated) return { kind: 'created', number: repeated.number, events: [], emailed: true }
  return { kind: 'limited' }
}

/**
 * Opens a web ticket from the public form and emails the customer their private link, unless the
 * sender's address or email has reached the form's rate limit.
 */
export async function submitSupportRequest(
  target: SupportTarget,
  input: Omit<SupportRequest, 'website'>,
  files: StoredFile[],
  clientIp: string,
): Promise<SupportRequestOutcome> {
  // Both slots are reserved before the ticket exists (atomic, so a burst cannot overshoot) and
  // given back when no ticket is created: only successful submissions count.
  const slots = await Promise.all(
    limiterKeys(clientIp, input.email).map((key) => takeSlot(key, SUPPORT_FORM_LIMIT)),
  )
  const releaseSlots = () => Promise.all(slots.map((slot) => slot.release()))
  // One sender's posts to this workspace one at a time, so that the same form posted twice at
  // once (a double click, a browser resending it) finds the first: one ticket, one email.
  const findRepeated = (tx: Tx) =>
    findRepeatedPost(
      tx,
      target,
      input,
      files.map((f) => f.sha256),
    )
  if (slots.some((slot) => !slot.allowed)) {
    await releaseSlots()
    return supportRequestOverLimit(target, input, files)
  }
  // The confirmation goes to whatever address was typed, from our domain: within the workspace's
  // budget of automatic emails (outbound-email-limit.server.ts); past it the ticket is made without.
  const confirmation = await reserveAutomaticEmail(target.workspace.id)
  let outcome
  try {
    outcome = await getDb().transaction(async (tx) => {
      const repeated = await findRepeated(tx)
      if (repeated) return { kind: 'repeated' as const, number: repeated.number }
      return createTicket(
        { workspaceId: target.workspace.id, userId: null },
        {
          mailboxId: target.mailbox.id,
          customerEmail: input.email,
          customerName: input.name ?? '',
          subject: input.subject,
          body: input.message,
          channel: 'web',
          files,
          sendConfirmation: confirmation.allowed,
        },
        tx,
      )
    })
  } catch (error) {
    await Promise.all([releaseSlots(), confirmation.release()])
    throw error
  }
  if (outcome.kind === 'repeated') {
    // Answered as the first post was: the same ticket's confirmation; it counts once.
    await Promise.all([releaseSlots(), confirmation.release()])
    return { kind: 'created', number: outcome.number, events: [], emailed: true }
  }
  if (outcome.kind !== 'created') {
    await Promise.all([releaseSlots(), confirmation.release()])
    return outcome
  }
  return { kind: 'created', number: outcome.number, events: outcome.events, emailed: confirmation.allowed }
}
