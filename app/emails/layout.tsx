import { Body, Container, Head, Html, Preview, Text } from '@react-email/components'
import { Fragment, type ReactNode } from 'react'

const body = {
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  fontSize: '15px',
  lineHeight: '1.5',
  color: '#0f172a',
  backgroundColor: '#ffffff',
}

/** The frame of every email we send: no images, no remote resources, readable as plain text. */
export function EmailLayout({ preview, children }: { preview: string; children: ReactNode }) {
  return (
    <Html lang="en">
      <Head />
      <Preview>{preview}</Preview>
      <Body style={body}>
        <Container style={{ maxWidth: '640px', margin: '0', padding: '8px' }}>{children}</Container>
      </Body>
    </Html>
  )
}

/**
 * Plain text from people as paragraphs: blank lines separate them, single line breaks stay. Each
 * takes its direction from its own first strong letter (`dir="auto"`): an agent's Arabic or Hebrew
 * reply reads right to left, with its punctuation where it belongs, in an email laid out in English.
 */
export function Paragraphs({ text, style }: { text: string; style?: React.CSSProperties }) {
  const paragraphs = paragraphsOf(text)
  return (
    <>
      {paragraphs.map((p, i) => (
        <Text key={i} dir="auto" style={{ margin: '0 0 12px', ...style }}>
          <Lines text={p} />
        </Text>
      ))}
    </>
  )
}

/** How Paragraphs splits text: blank lines separate paragraphs; blank paragraphs are dropped. */
export function paragraphsOf(text: string) {
  return text
    .trim()
    .split(/\n\s*\n/)
    .filter((p) => p.trim())
}

/** Line breaks as <br>, so both the HTML and the plain-text rendering keep them. */
export function Lines({ text }: { text: string }) {
  const lines = text.split(/\r?\n/)
  return (
    <>
      {lines.map((line, i) => (
        <Fragment key={i}>
          {i > 0 ? <br /> : null}
          {line}
        </Fragment>
      ))}
    </>
  )
}
