import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'

// Server-rendered pages of a workspace whose customers write German, Japanese and emoji: the
// bytes must be the text as typed, never NUL bytes where a character met the end of React's
// 2 KB write buffer, as React 18.3.1 unpatched did (patches/react-dom+18.3.1.patch;
// tests/unit/ssr-multibyte.test.ts).

let server: Awaited<ReturnType<typeof startTestServer>>
beforeAll(async () => {
  server = await startTestServer({ sockets: false })
})
afterAll(async () => {
  await server.close()
})

const words = [
  'Grüße',
  'aus',
  'München',
  '日本語の',
  'お問い合わせ',
  '😀',
  'Ünïcödé',
  '返金',
  'señor',
  '—',
  '✓',
]
const text = (seed: number, count: number) =>
  Array.from({ length: count }, (_, i) => words[(seed * 7 + i * 3) % words.length]).join(' ')

describe('pages with multi-byte text', () => {
  it('serve the inbox and a ticket without NUL bytes, every subject and message intact', async () => {
    const agent = await createMember('owner')
    const tickets = []
    for (let i = 0; i < 25; i++) {
      const subject = `${i} ${text(i, 8 + (i % 9))}`
      const body = text(i + 100, 20 + ((i * 13) % 60))
      tickets.push({
        subject,
        body,
        ...(await createTicketFor(agent, { subject, body, customerName: text(i, 2) })),
      })
    }
    const inbox = Buffer.from(
      await (
        await fetch(`${server.url}/w/${agent.workspace.slug}/tickets?view=all`, {
          headers: { cookie: agent.cookie },
        })
      ).arrayBuffer(),
    )
    expect(inbox.includes(0)).toBe(false)
    const inboxHtml = inbox.toString('utf8')
    expect(inboxHtml).not.toContain('\ufffd')
    for (const t of tickets) expect(inboxHtml).toContain(t.subject)

    for (const t of tickets.slice(0, 5)) {
      const response = await fetch(`${server.url}/w/${agent.workspace.slug}/tickets/${t.number}`, {
        headers: { cookie: agent.cookie },
      })
      expect(response.status).toBe(200)
      const page = Buffer.from(await response.arrayBuffer())
      expect(page.includes(0)).toBe(false)
      expect(page.toString('utf8')).toContain(t.body)
    }
  })
})
