import { Text } from '@react-email/components'
import { EmailLayout, Paragraphs } from './layout.tsx'
import { sliceWhole } from '#app/utils/well-formed.ts'

export type AutoAcknowledgementProps = {
  /** The mailbox's own text, written in Settings → Mailboxes. */
  text: string
  number: number
  mailboxName: string
}

/** The automatic answer to a new ticket that arrived by email (when the mailbox turns it on). */
export function AutoAcknowledgementEmail({ text, number, mailboxName }: AutoAcknowledgementProps) {
  return (
    <EmailLayout preview={sliceWhole(text, 140)}>
      <Paragraphs text={text} />
      <Text style={{ color: '#475569', fontSize: '13px' }}>
        {mailboxName} · Ticket #{number}
      </Text>
    </EmailLayout>
  )
}
