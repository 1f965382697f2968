/** An audit entry of a ticket as the activity log receives it. */
export type ActivityEntry = {
  action: string
  data: Record<string, unknown>
  actorName: string | null
}

const AI_PLACEHOLDER = '\u0000'

const str = (value: unknown) => (typeof value === 'string' ? value : null)

/**
 * The audit entry as a sentence: "Dana changed status from open to pending". `memberName`
 * turns an assignee's user id into a name (ids of former members read as "a former member").
 */
export function describeActivity(
  entry: ActivityEntry,
  memberName: (userId: string) => string | undefined,
): string {
  if (entry.data.by === 'ai') {
    // A change AI triage applied itself: "Changed priority from normal to high by AI".
    const { by: _by, ...data } = entry.data
    const sentence = describeActivity({ ...entry, data, actorName: AI_PLACEHOLDER }, memberName)
    const rest = sentence.startsWith(`${AI_PLACEHOLDER} `)
      ? sentence.slice(AI_PLACEHOLDER.length + 1)
      : sentence
    return `${rest.charAt(0).toUpperCase()}${rest.slice(1)} by AI`
  }
  const actor = entry.actorName ?? (entry.action === 'message.customer-replied' ? 'The customer' : 'Someone')
  const { data } = entry
  const assignee = (value: unknown) => {
    const id = str(value)
    return id ? (memberName(id) ?? 'a former member') : 'nobody'
  }
  switch (entry.action) {
    case 'ticket.created':
      return `${actor === 'Someone' ? 'The customer' : actor} opened the ticket`
    case 'ticket.status-changed':
      return `${actor} changed status from ${str(data.before)} to ${str(data.after)}`
    case 'ticket.priority-changed':
      return `${actor} changed priority from ${str(data.before)} to ${str(data.after)}`
    case 'ticket.assigned-changed':
      return data.after
        ? `${actor} assigned the ticket to ${assignee(data.after)}`
        : `${actor} unassigned the ticket (was ${assignee(data.before)})`
    case 'ticket.tagged': {
      const added = Array.isArray(data.added) ? data.added.filter((t) => typeof t === 'string') : []
      return `${actor} added ${added.length === 1 ? 'tag' : 'tags'} ${added.join(', ')}`
    }
    case 'ticket.untagged':
      return `${actor} removed tag ${str(data.removed) ?? ''}`.trimEnd()
    case 'message.replied':
      return `${actor} replied to the customer`
    case 'message.noted':
      return `${actor} added an internal note`
    case 'message.customer-replied':
      return data.reopenedFrom
        ? `${actor} replied, reopening the ticket (was ${str(data.reopenedFrom)})`
        : `${actor} replied`
    default:
      return `${actor}: ${entry.action}`
  }
}
