import { createHmac, timingSafeEqual } from 'node:crypto'
import { getDb, type DbOrTx } from '#db/client.ts'
import {
  getNotificationEmailContext,
  getUserEmailAddress,
  insertNotificationEmailOptOut,
  listNotificationEmailOptOuts,
  replaceNotificationEmailOptOuts,
} from '#db/queries/notifications.ts'
import { env } from '#app/env.server.ts'
import {
  EMAIL_NOTIFICATION_KINDS,
  KIND_LABELS,
  type EmailNotificationKind,
} from '#app/utils/notification-kinds.ts'
import { systemSender } from './account-emails.server.ts'
import { newMessageId, queueEmail } from './email.server.ts'
import { renderNotification } from './email-templates.server.ts'
import { sliceWhole } from '#app/utils/well-formed.ts'

// ——— Unsubscribe links: HMAC-SHA256 with SESSION_SECRET over the user id and the kind ———

function signature(userId: string, kind: string, secret = env().sessionSecret) {
  return createHmac('sha256', secret)
    .update(`notification-unsubscribe:v1:${userId}:${kind}`)
    .digest('base64url')
}

/** `<user id>.<kind>.<signature>`: names one user and one kind; it never expires. */
export function unsubscribeToken(userId: string, kind: EmailNotificationKind) {
  return `${userId}.${kind}.${signature(userId, kind)}`
}

/** The user and kind a token names, or undefined when it is malformed or its signature is wrong. */
export function readUnsubscribeToken(
  token: string,
): { userId: string; kind: EmailNotificationKind } | undefined {
  const [userId, kind, given, ...rest] = token.split('.')
  if (rest.length > 0 || !userId || !kind || !given) return undefined
  if (!/^[0-9a-f-]{36}$/.test(userId)) return undefined
  if (!(EMAIL_NOTIFICATION_KINDS as readonly string[]).includes(kind)) return undefined
  const actual = Buffer.from(given)
  // Signed under the current secret, or an older one still accepted (SESSION_SECRET while
  // rotating): a link in an email sent before the rotation keeps working.
  const signedByOne = env().sessionSecrets.some((secret) => {
    const expected = Buffer.from(signature(userId, kind, secret))
    return actual.length === expected.length && timingSafeEqual(actual, expected)
  })
  return signedByOne ? { userId, kind: kind as EmailNotificationKind } : undefined
}

// ——— Preferences ———

export type NotificationEmailSettings = Record<EmailNotificationKind, boolean>

export async function notificationEmailSettings(userId: string): Promise<NotificationEmailSettings> {
  const off = await listNotificationEmailOptOuts(getDb(), { userId })
  const offKinds = new Set<string>(off.map((o) => o.kind))
  return Object.fromEntries(
    EMAIL_NOTIFICATION_KINDS.map((k) => [k, !offKinds.has(k)]),
  ) as NotificationEmailSettings
}

/** Saves the account page's checkboxes: a row per kind turned off. */
export async function setNotificationEmails(userId: string, settings: NotificationEmailSettings) {
  await getDb().transaction(async (tx) => {
    const off = EMAIL_NOTIFICATION_KINDS.filter((k) => !settings[k])
    await replaceNotificationEmailOptOuts(tx, { userId, kinds: off })
  })
}

/** The unsubscribe link's POST. Idempotent. */
export async function turnOffNotificationEmails(userId: string, kind: EmailNotificationKind) {
  await insertNotificationEmailOptOut(getDb(), { userId, kind })
}

/** The address an unsubscribe page names, partly hidden (the link may have been forwarded). */
export async function maskedEmailOf(userId: string) {
  const row = await getUserEmailAddress(getDb(), { userId })
  if (!row) return undefined
  const [local, domain] = row.email.split('@')
  return `${local.slice(0, 2)}…@${domain}`
}

// ——— The email ———

export type NotificationEmailInput = {
  workspaceId: string
  userId: string
  kind: EmailNotificationKind
  ticketId: string
  number: number
  actorUserId: string | null
  /** The note that mentioned them. */
  excerpt?: string
  /** customer-replied: the sender, when not the ticket's customer or CC'd. */
  writtenBy?: string
}

/**
 * Queues the email of a notification on the notification's own transaction, unless the user
 * has not confirmed their address or turned this kind off.
 */
export async function queueNotificationEmail(tx: DbOrTx, n: NotificationEmailInput) {
  const row = await getNotificationEmailContext(tx, {
    workspaceId: n.workspaceId,
    userId: n.userId,
    ticketId: n.ticketId,
    kind: n.kind,
    actorUserId: n.actorUserId,
  })
  if (!row || !row.verifiedAt || row.optedOut) return undefined
  const actor = row.actorName ?? 'Someone'
  const headline =
    n.kind === 'assigned'
      ? `${actor} assigned you #${n.number} “${row.subject}”.`
      : n.kind === 'customer-replied'
        ? n.writtenBy
          ? `${n.writtenBy}, who is not on the ticket, wrote on #${n.number} “${row.subject}”.`
          : `The customer replied on #${n.number} “${row.subject}”.`
        : `${actor} mentioned you in a note on #${n.number} “${row.subject}”.`
  const unsubscribeLink = `${env().appUrl}/notifications/unsubscribe/${unsubscribeToken(n.userId, n.kind)}`
  const rendered = await renderNotification({
    subject: `${headline.replace(/\.$/, '')}`,
    headline,
    excerpt: n.excerpt ? sliceWhole(n.excerpt, 1000) : undefined,
    ticketLink: `${env().appUrl}/w/${row.slug}/tickets/${n.number}`,
    unsubscribeLink,
    kindLabel: KIND_LABELS[n.kind],
  })
  return queueEmail(tx, {
    ...rendered,
    ...systemSender(),
    workspaceId: n.workspaceId,
    ticketId: n.ticketId,
    kind: 'notification',
    toAddress: row.email,
    recipientUserId: n.userId,
    // RFC 8058: a mail provider's "Unsubscribe" posts `List-Unsubscribe=One-Click` to the link,
    // which the unsubscribe route takes without an Origin of ours (isOriginExempt).
    // One ticket's notifications name the same (never sent) parent, so the agent's mail client
    // shows them as one conversation per ticket instead of one thread each.
    headers: {
      'Auto-Submitted': 'auto-generated',
      'In-Reply-To': newMessageId(`notifications-${n.ticketId}`),
      References: newMessageId(`notifications-${n.ticketId}`),
      'List-Unsubscribe': `<${unsubscribeLink}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
  })
}
