import { Link, Text } from '@react-email/components'
import { EmailLayout } from './layout.tsx'

export type AccountLinkProps = {
  /** The first line after the greeting: what the link does. */
  intro: string
  name: string
  link: string
  linkLabel: string
  /** Below the link: how long it works, and what to do when this email was not expected. */
  footnote: string
}

/**
 * The account emails (confirm the address, reset the password, join a workspace): one sentence,
 * one link, spelled out in full so the plain-text part carries it too.
 */
export function AccountLinkEmail(props: AccountLinkProps) {
  return (
    <EmailLayout preview={props.intro}>
      <Text>{props.name ? `Hi ${props.name},` : 'Hi,'}</Text>
      <Text>{props.intro}</Text>
      <Text>
        {props.linkLabel}: <Link href={props.link}>{props.link}</Link>
      </Text>
      <Text style={{ color: '#475569' }}>{props.footnote}</Text>
      <Text style={{ color: '#475569' }}>Switchboard</Text>
    </EmailLayout>
  )
}
