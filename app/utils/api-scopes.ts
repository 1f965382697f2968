/** What an API token may do; shared with the settings page (browser) and the server. */
export const API_SCOPES = [
  'tickets:read',
  'tickets:write',
  'contacts:read',
  'contacts:write',
  'webhooks:manage',
] as const
export type ApiScope = (typeof API_SCOPES)[number]

export const SCOPE_DESCRIPTIONS: Record<ApiScope, string> = {
  'tickets:read': 'Read tickets, their messages, mailboxes, tags and members',
  'tickets:write': 'Create and update tickets, reply and add notes',
  'contacts:read': 'Read and search contacts',
  'contacts:write': 'Create and rename contacts',
  'webhooks:manage': 'Manage outbound webhooks and see their deliveries',
}

/** Expiry choices offered when creating a token, in days ('never' = no expiry). */
export const TOKEN_EXPIRY_CHOICES = ['7', '30', '90', '365', 'never'] as const
