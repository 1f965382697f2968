import { createElement, type ReactElement } from 'react'
import type { AccountLinkProps } from '#app/emails/account-link.tsx'
import type { QuotedMessage, ReplyFiles } from '#app/emails/agent-reply.tsx'
import type { NotificationEmailProps } from '#app/emails/notification.tsx'
import { importOnce } from '#app/utils/import-once.ts'

// React Email (its components bring prismjs) and the templates are ~15 MB of heap that most
// requests never use: each is imported on first use (a separate chunk of the build), not at start.

/**
 * Rendered email bodies: React Email components (app/emails/) rendered to HTML, and the same
 * tree to plain text (blockquotes become `> ` lines). React escapes everything from people.
 */
export type Rendered = { subject: string; html: string; text: string }

/** What React Email puts before the rendered tree in the HTML version (and not in the text one). */
const XHTML_DOCTYPE =
  '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">'

let htmlToText: ((html: string) => string) | undefined

// Imported once each: a repeated import() of a loaded module still costs the loader's lookups.
const reactDomServer = importOnce(() => import('react-dom/server'))
const agentReplyTemplate = importOnce(() => import('#app/emails/agent-reply.tsx'))
const textConversion = importOnce(() => Promise.all([import('@react-email/render'), import('html-to-text')]))
const ticketConfirmationTemplate = importOnce(() => import('#app/emails/ticket-confirmation.tsx'))
const autoAcknowledgementTemplate = importOnce(() => import('#app/emails/auto-acknowledgement.tsx'))
const accountLinkTemplate = importOnce(() => import('#app/emails/account-link.tsx'))
const notificationTemplate = importOnce(() => import('#app/emails/notification.tsx'))

/**
 * An email's HTML: React Email's document (its XHTML doctype, then the tree) rendered in one
 * synchronous pass. React Email's own `render` streams the tree through renderToPipeableStream
 * inside a Suspense boundary, for templates that suspend (ours never do), and leaves React's
 * stream markers (`<!--$-->`, `<!-- -->` between adjacent texts) in the email; this gives the same
 * markup without them, in about half the time (tests/unit/email-text.test.ts compares the two).
 */
async function renderHtml(element: ReactElement) {
  const { renderToStaticMarkup } = await reactDomServer()
  return XHTML_DOCTYPE + renderToStaticMarkup(element)
}

/**
 * The HTML and the plain text of one render. `render(element, { plainText: true })` would render
 * the tree a second time and pass it to html-to-text's `convert`, which builds its converter (a
 * selector decision tree) on every call: ~1.3 ms of CPU per email. This builds the same converter
 * (React Email's options) once and gives it the same markup.
 */
async function renderBoth(element: ReactElement) {
  const [{ plainTextSelectors }, { compile }] = await textConversion()
  htmlToText ??= compile({ wordwrap: false, selectors: plainTextSelectors })
  const html = await renderHtml(element)
  return { html, text: htmlToText(html.slice(XHTML_DOCTYPE.length)) }
}

export async function renderAgentReply(input: {
  subject: string
  number: number
  body: string
  signature: string
  /** The agent's own signature (account page), after the mailbox's. */
  personalSignature?: string
  agentName: string
  mailboxName: string
  link: string | null
  quoted?: QuotedMessage[]
  /** The reply's files, attached or named as too large to attach. */
  files?: ReplyFiles
}): Promise<Rendered> {
  const signature = [
    input.signature.trim() || `${input.agentName}, ${input.mailboxName}`,
    input.personalSignature?.trim(),
  ]
    .filter(Boolean)
    .join('\n\n')
  const { AgentReplyEmail, agentReplyText } = await agentReplyTemplate()
  const props = {
    number: input.number,
    body: input.body,
    signature,
    link: input.link,
    quoted: input.quoted ?? [],
    files: input.files,
  }
  // Every agent reply is rendered inside its request: the text part is built from the same
  // props (agentReplyText) instead of parsing the HTML again, which was ~6% of a reply's CPU.
  return {
    subject: replySubject(input.subject, input.number),
    html: await renderHtml(createElement(AgentReplyEmail, props)),
    text: agentReplyText(props),
  }
}

/**
 * Reply and forward prefixes mail programs put before a subject, in the languages they come in
 * (Re, Aw, SV, Antw, VS, Odp, Res, Ynt, Vá, 回复…; Fwd, Fw, WG, TR, RV, Enc, Doorst…), with a
 * count (`Re[2]:`, `Re(2):`, `Re^2:`) and either colon; repeated (`RE: Fwd: Aw:`).
 */
const REPLY_PREFIXES =
  /^(?:\s*(?:re|aw|sv|antw|vs|odp|res|ynt|v[aá]|rif|fwd?|wg|tr|rv|enc|doorst|vl|回复|回覆|答复|答覆|转发|轉寄|返信|転送)(?:\s*(?:\[\d+\]|\(\d+\)|\^\d+))?\s*[:：])+\s*/iu

/**
 * The subject of our emails on a ticket: `Re: <subject> [#<number>]`. The subject's own reply and
 * forward prefixes give way to that one `Re: ` (a ticket opened from "RE: Fwd: Refund" was
 * answered as "Re: RE: Fwd: Refund"), and a subject whose last reference is already this ticket's
 * gets no second one (the reference that counts is the last, subjectReference in
 * inbound-routing.server.ts, so another ticket's `[#12]` still gets this one's appended).
 */
export function replySubject(subject: string, number: number) {
  return `Re: ${withReference(subjectTopic(subject), number)}`
}

/** The subject without the reply and forward prefixes before it. */
export function subjectTopic(subject: string) {
  return subject.replace(REPLY_PREFIXES, '').trim()
}

/**
 * The subject followed by ` [#<number>]`, unless its last reference is that one already (written
 * as threading reads it: `[#012]` is not ours).
 */
export function withReference(subject: string, number: number) {
  const last = [...subject.matchAll(/\[#([1-9][0-9]{0,9})\]/g)].at(-1)
  if (last && Number(last[1]) === number) return subject
  return subject ? `${subject} [#${number}]` : `[#${number}]`
}

export async function renderTicketConfirmation(input: {
  customerName: string
  subject: string
  number: number
  mailboxName: string
  link: string
}): Promise<Rendered> {
  const { TicketConfirmationEmail } = await ticketConfirmationTemplate()
  const bodies = await renderBoth(createElement(TicketConfirmationEmail, input))
  return { subject: `We received your request: ${withReference(input.subject, input.number)}`, ...bodies }
}

export async function renderAutoAcknowledgement(input: {
  subject: string
  number: number
  text: string
  mailboxName: string
}): Promise<Rendered> {
  const { AutoAcknowledgementEmail } = await autoAcknowledgementTemplate()
  const bodies = await renderBoth(createElement(AutoAcknowledgementEmail, input))
  return { subject: replySubject(input.subject, input.number), ...bodies }
}

export async function renderAccountLink(input: AccountLinkProps & { subject: string }): Promise<Rendered> {
  const { subject, ...props } = input
  const { AccountLinkEmail } = await accountLinkTemplate()
  return { subject, ...(await renderBoth(createElement(AccountLinkEmail, props))) }
}

export async function renderNotification(
  input: NotificationEmailProps & { subject: string },
): Promise<Rendered> {
  const { subject, ...props } = input
  const { NotificationEmail } = await notificationTemplate()
  return { subject, ...(await renderBoth(createElement(NotificationEmail, props))) }
}
