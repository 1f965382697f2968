import { escapeHtml, textToHtml } from '#app/utils/html.ts'

/** Rendered email bodies. Everything from users or customers is escaped; no template language. */
export type Rendered = { subject: string; html: string; text: string }

const layout = (inner: string) =>
  `<!doctype html><html><body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:15px;line-height:1.5;color:#0f172a">${inner}</body></html>`

export function renderAgentReply(input: {
  subject: string
  number: number
  body: string
  signature: string
  agentName: string
  mailboxName: string
  link: string
}): Rendered {
  const signature = input.signature.trim()
  const text = [
    input.body.trim(),
    signature ? `\n--\n${signature}` : `\n--\n${input.agentName}, ${input.mailboxName}`,
    `\nView this conversation: ${input.link}`,
  ].join('\n')
  const html = layout(
    `${textToHtml(input.body)}
<p style="color:#475569">--<br>${signature ? escapeHtml(signature).replace(/\n/g, '<br>') : `${escapeHtml(input.agentName)}, ${escapeHtml(input.mailboxName)}`}</p>
<p style="font-size:13px;color:#64748b"><a href="${escapeHtml(input.link)}">View this conversation</a> · Ticket #${input.number}</p>`,
  )
  return { subject: `Re: ${input.subject} [#${input.number}]`, html, text }
}

export function renderTicketConfirmation(input: {
  customerName: string
  subject: string
  number: number
  mailboxName: string
  link: string
}): Rendered {
  const greeting = input.customerName ? `Hi ${input.customerName},` : 'Hi,'
  const text = `${greeting}

We received your request "${input.subject}" (ticket #${input.number}). Our team will get back to you soon.

You can follow the conversation and reply here:
${input.link}

${input.mailboxName}`
  const html = layout(`<p>${escapeHtml(greeting)}</p>
<p>We received your request “${escapeHtml(input.subject)}” (ticket #${input.number}). Our team will get back to you soon.</p>
<p><a href="${escapeHtml(input.link)}">Follow the conversation and reply</a></p>
<p style="color:#475569">${escapeHtml(input.mailboxName)}</p>`)
  return { subject: `We received your request: ${input.subject} [#${input.number}]`, html, text }
}
