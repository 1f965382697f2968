/** Keyboard shortcuts of the agent pages, listed in the "?" dialog and implemented by each page. */
export type Shortcut = {
  key: string
  label: string
  description: string
  scope: 'queue' | 'ticket' | 'global'
}

export const SHORTCUTS: readonly Shortcut[] = [
  { key: 'j', label: 'j', description: 'Move to the next ticket', scope: 'queue' },
  { key: 'k', label: 'k', description: 'Move to the previous ticket', scope: 'queue' },
  { key: 'Enter', label: 'Enter', description: 'Open the selected ticket', scope: 'queue' },
  { key: 'x', label: 'x', description: 'Select the ticket for a bulk action', scope: 'queue' },
  { key: '/', label: '/', description: 'Search tickets', scope: 'queue' },
  { key: 'j', label: 'j', description: 'Next ticket of the view you came from', scope: 'ticket' },
  { key: 'k', label: 'k', description: 'Previous ticket of the view you came from', scope: 'ticket' },
  { key: 'r', label: 'r', description: 'Reply to the customer', scope: 'ticket' },
  { key: 'n', label: 'n', description: 'Write an internal note', scope: 'ticket' },
  { key: 'a', label: 'a', description: 'Assign the ticket to me', scope: 'ticket' },
  { key: 's', label: 's', description: 'Set the status (in the command palette)', scope: 'ticket' },
  { key: 'e', label: 'e', description: 'Resolve the ticket', scope: 'ticket' },
  { key: '?', label: '?', description: 'Show keyboard shortcuts', scope: 'global' },
  {
    key: 'mod+k',
    label: 'Ctrl/⌘ K',
    description: 'Command palette: jump to a ticket, customer, view or page; act on the open ticket',
    scope: 'global',
  },
]

export const SHORTCUT_SCOPE_LABEL: Record<Shortcut['scope'], string> = {
  queue: 'Inbox',
  ticket: 'Ticket',
  global: 'Everywhere',
}
