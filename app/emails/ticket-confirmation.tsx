import { Link, Text } from '@react-email/components'
import { EmailLayout } from './layout.tsx'

export type TicketConfirmationProps = {
  customerName: string
  subject: string
  number: number
  mailboxName: string
  link: string
}

/** Sent to a customer who opened a ticket through the public form. */
export function TicketConfirmationEmail(props: TicketConfirmationProps) {
  return (
    <EmailLayout preview={`We received your request (ticket #${props.number})`}>
      <Text>{props.customerName ? `Hi ${props.customerName},` : 'Hi,'}</Text>
      <Text>
        We received your request “{props.subject}” (ticket #{props.number}). Our team will get back to you
        soon.
      </Text>
      <Text>
        You can follow the conversation and reply here: <Link href={props.link}>{props.link}</Link>
      </Text>
      <Text style={{ color: '#475569' }}>{props.mailboxName}</Text>
    </EmailLayout>
  )
}
