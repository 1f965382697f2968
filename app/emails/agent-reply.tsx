import { Hr, Link, Section, Text } from '@react-email/components'
import { EmailLayout, Lines, Paragraphs } from './layout.tsx'

/**
 * Separates the new reply from the quoted history, in both parts. Inbound parsing can cut a
 * customer's answer here when their mail client quoted our email below it.
 */
export const QUOTE_MARKER = '——— Earlier in this conversation ———'

export type QuotedMessage = { author: string; at: string; body: string }

export type AgentReplyProps = {
  number: number
  body: string
  /** The mailbox signature (or the agent's and mailbox's names), then the agent's own. */
  signature: string
  link: string
  /** The recent public thread before this reply, newest first. Never internal notes. */
  quoted: QuotedMessage[]
}

const muted = { color: '#475569' }

export function AgentReplyEmail({ number, body, signature, link, quoted }: AgentReplyProps) {
  return (
    <EmailLayout preview={body.slice(0, 140)}>
      <Paragraphs text={body} />
      <Text style={{ ...muted, margin: '16px 0 12px' }}>
        <Lines text={`--\n${signature}`} />
      </Text>
      <Text style={{ fontSize: '13px', color: '#64748b', margin: '0 0 12px' }}>
        <Link href={link}>View this conversation</Link> · Ticket #{number}
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
