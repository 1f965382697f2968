/** What a canned response's placeholders can refer to. */
export type CannedContext = {
  customer: { name: string; email: string }
  agent: { name: string }
  ticket: { number: number; subject: string }
}

const PLACEHOLDER = /\{\{\s*([a-z]+)\.([a-z]+)\s*\}\}/gi

/**
 * Replaces {{customer.name}}, {{customer.email}}, {{agent.name}}, {{ticket.number}} and
 * {{ticket.subject}} (spaces inside the braces allowed). Unknown placeholders stay as written so
 * the agent sees what was not filled. A customer without a name is addressed by their email.
 */
export function fillPlaceholders(template: string, context: CannedContext) {
  const values: Record<string, string> = {
    'customer.name': context.customer.name.trim() || context.customer.email,
    'customer.email': context.customer.email,
    'agent.name': context.agent.name,
    'ticket.number': String(context.ticket.number),
    'ticket.subject': context.ticket.subject,
  }
  return template.replace(PLACEHOLDER, (whole, group: string, field: string) => {
    const value = values[`${group.toLowerCase()}.${field.toLowerCase()}`]
    return value ?? whole
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
