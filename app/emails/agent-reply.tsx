import { Hr, Link, Section, Text } from '@react-email/components'
import { EmailLayout, Lines, Paragraphs, paragraphsOf } from './layout.tsx'
import { formatBytes } from '#app/utils/format.ts'
import { sliceWhole } from '#app/utils/well-formed.ts'

/**
 * Separates the new reply from the quoted history, in both parts. Inbound parsing can cut a
 * customer's answer here when their mail client quoted our email below it.
 */
export const QUOTE_MARKER = '——— Earlier in this conversation ———'

/** Where a copy without the private link says how to answer. */
export const NO_LINK_LINE = 'Reply to this email to answer'

export type QuotedMessage = { author: string; at: string; body: string }

type NamedFile = { filename: string; size: number }

/**
 * The reply's files: those the email carries, and those too large to go with it (SendGrid takes
 * 30 MB in all, base64 included), which the customer downloads through their private link.
 */
export type ReplyFiles = { attached: NamedFile[]; notAttached: NamedFile[] }

export type AgentReplyProps = {
  number: number
  body: string
  /** The mailbox signature (or the agent's and mailbox's names), then the agent's own. */
  signature: string
  /**
   * The customer's private link (/support/t/<token>). Null for a copy anyone but the customer
   * alone gets (a reply with CC, a BCC recipient's copy): it says to answer by replying instead.
   */
  link: string | null
  /** The recent public thread before this reply, newest first. Never internal notes. */
  quoted: QuotedMessage[]
  files?: ReplyFiles
}

const muted = { color: '#475569' }

export function AgentReplyEmail({ number, body, signature, link, quoted, files }: AgentReplyProps) {
  const named = fileLines(files, link)
  return (
    <EmailLayout preview={sliceWhole(body, 140)}>
      <Paragraphs text={body} />
      <Text style={{ ...muted, margin: '16px 0 12px' }}>
        <Lines text={`--\n${signature}`} />
      </Text>
      {named ? (
        <Text style={{ fontSize: '13px', color: '#334155', margin: '0 0 12px' }}>
          <Lines text={named} />
        </Text>
      ) : null}
      <Text style={{ fontSize: '13px', color: '#64748b', margin: '0 0 12px' }}>
        {link === null ? (
          `${NO_LINK_LINE} · Ticket #${number}`
        ) : (
          <>
            <Link href={link}>View this conversation</Link> · Ticket #{number}
          </>
        )}
      </Text>
      {quoted.length > 0 ? (
        <Section>
          <Hr />
          <Text style={{ ...muted, fontSize: '13px', margin: '0 0 8px' }}>{QUOTE_MARKER}</Text>
          {quoted.map((message, i) => (
            <Section key={i}>
              <Text style={{ ...muted, fontSize: '13px', margin: '8px 0 4px' }}>
                On {message.at}, {message.author} wrote:
              </Text>
              <blockquote style={{ margin: '0 0 8px', paddingLeft: '12px', borderLeft: '3px solid #cbd5e1' }}>
                <Paragraphs text={message.body} style={{ ...muted, fontSize: '14px' }} />
              </blockquote>
            </Section>
          ))}
        </Section>
      ) : null}
    </EmailLayout>
  )
}

/**
 * The plain-text part of AgentReplyEmail, built from the same props: what React Email's
 * `render(<AgentReplyEmail/>, { plainText: true })` gives (html-to-text over the rendered markup),
 * without parsing that markup again. tests/unit/email-text.test.ts compares the two on tricky
 * inputs. Blocks are separated by a blank line; within a block, html-to-text's whitespace runs
 * become one space and each line is trimmed; a quoted message's lines start with `> `.
 */
export function agentReplyText({ number, body, signature, link, quoted, files }: AgentReplyProps) {
  const named = fileLines(files, link)
  const blocks = [
    ...paragraphsText(body),
    linesText(`--\n${signature}`),
    ...(named ? [linesText(named)] : []),
    link === null
      ? `${NO_LINK_LINE} · Ticket #${number}`
      : `View this conversation ${link} · Ticket #${number}`,
  ]
  if (quoted.length > 0) {
    blocks.push('-'.repeat(40), QUOTE_MARKER)
    for (const message of quoted) {
      blocks.push(inline(`On ${message.at}, ${message.author} wrote:`))
      // html-to-text's blockquote drops its empty lines at either end.
      const quote = paragraphsText(message.body)
        .join('\n\n')
        .replace(/^\n+|\n+$/g, '')
      blocks.push(quote.replace(/^/gm, '> '))
    }
  }
  return blocks.join('\n\n')
}

/**
 * One line per file, in the message's order: "Attached: doc.pdf (1.2 MB)", then those left out
 * with where to get them: the private link in a copy that has it, else a reply asking for them.
 */
export function fileLines(files: ReplyFiles | undefined, link: string | null) {
  if (!files) return ''
  const where =
    link === null ? 'reply to this email to ask for it' : 'download it with "View this conversation" below'
  return [
    ...files.attached.map((f) => `Attached: ${f.filename} (${formatBytes(f.size)})`),
    ...files.notAttached.map(
      (f) => `Not attached, too large to email: ${f.filename} (${formatBytes(f.size)}); ${where}`,
    ),
  ].join('\n')
}

// html-to-text's whitespace characters (its default `whitespaceCharacters`), not JavaScript's \s.
const HTML_TO_TEXT_WHITESPACE = /[ \t\r\n\f\u200b]+/g

function inline(text: string) {
  return text.replace(HTML_TO_TEXT_WHITESPACE, ' ').replace(/^ | $/g, '')
}

/** Paragraphs' text as separate blocks, split as Paragraphs splits them. */
function paragraphsText(text: string) {
  return paragraphsOf(text).map(linesText)
}

/** Lines' text: one line per line break, each collapsed. */
function linesText(text: string) {
  return text.split(/\r?\n/).map(inline).join('\n')
}
