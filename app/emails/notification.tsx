import { Hr, Link, Text } from '@react-email/components'
import { EmailLayout, Paragraphs } from './layout.tsx'

export type NotificationEmailProps = {
  /** One sentence: "Dana assigned you #42 “Printer on fire”". */
  headline: string
  /** An excerpt of the note that mentioned you, when there is one. */
  excerpt?: string
  ticketLink: string
  /** Turns this kind of email off without signing in (a signed link; the page asks to confirm). */
  unsubscribeLink: string
  kindLabel: string
}

/** Tells an agent about something on a ticket: assigned, a customer reply, a mention. */
export function NotificationEmail(props: NotificationEmailProps) {
  return (
    <EmailLayout preview={props.headline}>
      <Text>{props.headline}</Text>
      {props.excerpt ? <Paragraphs text={props.excerpt} style={{ color: '#334155' }} /> : null}
      <Text>
        Open the ticket: <Link href={props.ticketLink}>{props.ticketLink}</Link>
      </Text>
      <Hr />
      <Text style={{ color: '#475569', fontSize: '13px' }}>
        You get this email because “{props.kindLabel}” emails are on for your account. Turn them off:{' '}
        <Link href={props.unsubscribeLink}>{props.unsubscribeLink}</Link>
      </Text>
    </EmailLayout>
  )
}
