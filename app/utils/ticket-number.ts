/**
 * `#12` or `12`: the ticket number someone typed into the command palette (the palette's search
 * jumps by it, and its commands take such a query as a ticket, not as a tag name).
 */
export function ticketNumberIn(text: string) {
  const match = text.trim().match(/^#?(\d{1,9})$/)
  return match ? Number(match[1]) : null
}
