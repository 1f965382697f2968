/** Notification kinds, as stored (the notification_kind enum). */
export const NOTIFICATION_KINDS = ['assigned', 'customer-replied', 'mentioned', 'webhook-disabled'] as const
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number]

/** Groups shown on the notifications page; older ones are not listed (the page says so). */
export const NOTIFICATION_GROUP_LIMIT = 50

/** The kind filter's labels on the notifications page. */
export const NOTIFICATION_KIND_FILTER_LABELS: Record<NotificationKind, string> = {
  assigned: 'Assigned to you',
  'customer-replied': 'Customer replies',
  mentioned: 'Mentions',
  'webhook-disabled': 'Webhook endpoints disabled',
}

/** One row of the notifications page: a ticket's notifications (or a webhook endpoint's). */
export type NotificationGroup = {
  ticketId: string | null
  webhookEndpointId: string | null
  number: number | null
  subject: string
  latestAt: string
  total: number
  unread: number
  counts: Record<NotificationKind, number>
  latestActorName: string | null
}

function plural(n: number, one: string, many: string) {
  return `${n} ${n === 1 ? one : many}`
}

/** "3 replies on #23", "Ana mentioned you on #23", "2 replies and 1 mention on #23". */
export function describeNotificationGroup(group: NotificationGroup) {
  const { counts } = group
  if (group.number === null) {
    return counts['webhook-disabled'] > 1
      ? `A webhook endpoint was disabled ${counts['webhook-disabled']} times`
      : 'A webhook endpoint was disabled'
  }
  const onlyOne = group.total === 1
  const actor = group.latestActorName ?? 'Someone'
  if (onlyOne && counts.mentioned === 1) return `${actor} mentioned you on #${group.number}`
  if (onlyOne && counts.assigned === 1) return `${actor} assigned you #${group.number}`
  if (onlyOne && counts['customer-replied'] === 1) return `Customer replied on #${group.number}`
  const parts: string[] = []
  if (counts['customer-replied'] > 0) parts.push(plural(counts['customer-replied'], 'reply', 'replies'))
  if (counts.mentioned > 0) parts.push(plural(counts.mentioned, 'mention', 'mentions'))
  if (counts.assigned > 0) parts.push(plural(counts.assigned, 'assignment', 'assignments'))
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0]
  return `${list} on #${group.number}`
}
