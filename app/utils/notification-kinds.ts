/** The notification kinds a user can get by email, each turned on or off on the account page. */
export const EMAIL_NOTIFICATION_KINDS = ['assigned', 'customer-replied', 'mentioned'] as const
export type EmailNotificationKind = (typeof EMAIL_NOTIFICATION_KINDS)[number]

export const KIND_LABELS: Record<EmailNotificationKind, string> = {
  assigned: 'Assigned to you',
  'customer-replied': 'Customer replied on your ticket',
  mentioned: 'Mentioned in a note',
}
