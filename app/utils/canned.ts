/** What a canned response's placeholders can refer to. */
export type CannedContext = {
  customer: { name: string; email: string }
  agent: { name: string }
  ticket: { number: number; subject: string }
}

/** The placeholders a canned response may use, with what each becomes (the settings page lists them). */
export const CANNED_PLACEHOLDERS = {
  'customer.name': 'the customer’s name (their email when unknown)',
  'customer.email': 'the customer’s email address',
  'agent.name': 'your name',
  'ticket.number': 'the ticket number',
  'ticket.subject': 'the ticket subject',
} as const

type PlaceholderName = keyof typeof CANNED_PLACEHOLDERS

const PLACEHOLDER = /\{\{\s*([a-z]+)\.([a-z]+)\s*\}\}/gi
/** Anything in double braces: what a person may have meant as a placeholder. */
const BRACED = /\{\{([^{}]*)\}\}/g

const placeholderName = (inside: string) => inside.trim().toLowerCase()

/**
 * The `{{…}}` in a canned response that are not placeholders (as written, each once): they would
 * reach the customer with their braces, so saving refuses them. Spaces inside the braces and
 * letter case do not matter, as when filling.
 */
export function unknownPlaceholders(template: string) {
  const unknown = new Set<string>()
  for (const [whole, inside] of template.matchAll(BRACED)) {
    if (!Object.hasOwn(CANNED_PLACEHOLDERS, placeholderName(inside!))) unknown.add(whole)
  }
  return [...unknown]
}

/**
 * Replaces {{customer.name}}, {{customer.email}}, {{agent.name}}, {{ticket.number}} and
 * {{ticket.subject}} (spaces inside the braces allowed). Unknown placeholders (saved before they
 * were refused) stay as written so the agent sees what was not filled. A customer without a name
 * is addressed by their email.
 */
export function fillPlaceholders(template: string, context: CannedContext) {
  const values: Record<PlaceholderName, string> = {
    'customer.name': context.customer.name.trim() || context.customer.email,
    'customer.email': context.customer.email,
    'agent.name': context.agent.name,
    'ticket.number': String(context.ticket.number),
    'ticket.subject': context.ticket.subject,
  }
  return template.replace(PLACEHOLDER, (whole, group: string, field: string) => {
    const name = `${group}.${field}`.toLowerCase()
    return Object.hasOwn(values, name) ? values[name as PlaceholderName] : whole
  })
}

/**
 * Inserts `text` into `value` at the selection (replacing it), on a line of its own when the
 * draft already has text around it. Returns the new value and where the caret goes.
 */
export function insertAtSelection(value: string, text: string, start = value.length, end = start) {
  const from = Math.max(0, Math.min(start, value.length))
  const to = Math.max(from, Math.min(end, value.length))
  const before = value.slice(0, from)
  const after = value.slice(to)
  const lead = before === '' || before.endsWith('\n') ? '' : '\n'
  const trail = after === '' || after.startsWith('\n') ? '' : '\n'
  const inserted = `${lead}${text}${trail}`
  return { value: before + inserted + after, caret: before.length + lead.length + text.length }
}
