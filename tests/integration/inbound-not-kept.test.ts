import fs from 'node:fs'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { attachments, inboundEmails, messages, tickets } from '#db/schema.ts'
import { listMessagesPage } from '#app/domain/api-resources.server.ts'
import { messageJson } from '#app/domain/serializers.server.ts'
import { pathFor } from '#app/integrations/storage.server.ts'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import { asMember, createMember } from '#tests/helpers/factories.ts'
import { rawModePost } from '#tests/helpers/inbound-post.ts'
import { inboundPostsSettled, startInboundServer } from '#tests/helpers/inbound-server.ts'
import { callLoader } from '#tests/helpers/routes.ts'

// Found from outside (2026-12-07): what filing an inbound email leaves out was said only in the
// stored post's `error` column, which no agent sees, and the kept files were listed in no
// particular order.

const SECRET = 'inbound-secret-not-kept-0123456789'
const INBOUND = 'in.example.test'
let server: Awaited<ReturnType<typeof startInboundServer>>
let n = 0

beforeAll(async () => {
  server = await startInboundServer({ secret: SECRET, domain: INBOUND, maxPerSenderHour: 100 })
})
afterAll(async () => {
  await server?.close()
})

type Agent = Awaited<ReturnType<typeof createMember>>

/** A raw MIME email (CRLF) from casey@example.org to the workspace's forwarding address. */
function email(agent: Agent, subject: string, parts: string[]) {
  const to = `${agent.workspace.slug}.support@${INBOUND}`
  const head = [
    'From: Casey <casey@example.org>',
    `To: ${to}`,
    `Subject: ${subject}`,
    `Message-ID: <not-kept-${++n}@example.org>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
  ]
  const body = parts.map((p) => `--b1\r\n${p}\r\n`).join('') + '--b1--\r\n'
  return { eml: Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`), to }
}

const file = (name: string, type: string, extra = '') =>
  `Content-Type: ${type}; name="${name}"\r\nContent-Disposition: attachment; filename="${name}"\r\n${extra}Content-Transfer-Encoding: base64\r\n\r\n${Buffer.from(`content of ${name}`).toString('base64')}`

async function post(eml: Buffer, to: string) {
  const p = rawModePost(eml, { envelopeTo: [to] })
  const answer = await fetch(`${server.url}/webhooks/sendgrid/inbound/${SECRET}`, {
    method: 'POST',
    headers: { 'content-type': p.contentType },
    body: new Uint8Array(p.body),
  })
  expect(answer.status).toBe(200)
  await inboundPostsSettled()
  const [row] = await getDb()
    .select()
    .from(inboundEmails)
    .orderBy(sql`received_at desc, id desc`)
    .limit(1)
  expect(row!.status).toBe('filed')
  return row!
}

async function ticketPage(agent: Agent, ticketId: string) {
  const [{ number }] = (
    await getDb().execute<{ number: number }>(sql`select number from tickets where id = ${ticketId}`)
  ).rows as Array<{ number: number }>
  const params = { slug: agent.workspace.slug, number: String(number) }
  const page = await callLoader(ticketRoute, `/w/${agent.workspace.slug}/tickets/${number}`, {
    cookie: agent.cookie,
    params,
  })
  const html = await (
    await fetch(`${server.url}/w/${agent.workspace.slug}/tickets/${number}`, {
      headers: { cookie: agent.cookie },
    })
  ).text()
  return { data: page.data, html }
}

describe("an inbound email's attachments", () => {
  it('that were not kept are named on its message in the thread, and the kept ones are in its order', async () => {
    const agent = await createMember()
    const files = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => file(`file${from + i}.pdf`, 'application/pdf'))
    const { eml, to } = email(agent, 'Fourteen parts', [
      'Content-Type: text/plain; charset=utf-8\r\n\r\nThe files you asked for.',
      ...files(1, 5),
      file('logo.png', 'image/png', 'Content-ID: <logo@example.org>\r\n').replace(
        'Content-Disposition: attachment',
        'Content-Disposition: inline',
      ),
      ...files(6, 6),
      file('evil.exe', 'application/octet-stream'),
      ...files(7, 12),
    ])
    const inbound = await post(eml, to)
    const { data, html } = await ticketPage(agent, inbound.ticketId!)
    const message = data.thread.at(-1) as {
      attachments: Array<{ filename: string }>
      filesNotKept?: unknown
    }
    expect(message.attachments.map((a) => a.filename)).toEqual([
      'file1.pdf',
      'file2.pdf',
      'file3.pdf',
      'file4.pdf',
      'file5.pdf',
      'logo.png',
      'file6.pdf',
      'file7.pdf',
      'file8.pdf',
      'file9.pdf',
    ])
    expect(message.filesNotKept).toEqual({
      files: [
        { filename: 'evil.exe', reason: 'executable' },
        { filename: 'file10.pdf', reason: 'over-limit' },
        { filename: 'file11.pdf', reason: 'over-limit' },
        { filename: 'file12.pdf', reason: 'over-limit' },
      ],
      more: 0,
    })
    // What the agent reads on the ticket page (the production build, server-rendered).
    expect(html).toContain(
      '4 attachments not kept: evil.exe (executable files are refused), file10.pdf (over the limit of 10 files and 25 MB per email), file11.pdf (over the limit of 10 files and 25 MB per email), file12.pdf (over the limit of 10 files and 25 MB per email)',
    )
    // The stored post keeps its short notes as before.
    expect(inbound.error).toMatch(/1 executable attachment\(s\) refused\. 3 attachment\(s\) over the limit/)
    // The REST API, MCP and webhooks say the same (messageJson): it was only in the app.
    const [{ number }] = await getDb()
      .select({ number: tickets.number })
      .from(tickets)
      .where(eq(tickets.id, inbound.ticketId!))
    const page = await listMessagesPage(asMember(agent), number, undefined, 100)
    if (page.kind !== 'page') throw new Error(page.kind)
    const json = page.rows.map(messageJson)
    expect(json.at(-1)!.attachments_not_kept).toEqual(message.filesNotKept)
  })

  it('all kept: nothing is said', async () => {
    const agent = await createMember()
    const { eml, to } = email(agent, 'One file', [
      'Content-Type: text/plain; charset=utf-8\r\n\r\nOne file.',
      file('only.pdf', 'application/pdf'),
    ])
    const inbound = await post(eml, to)
    const [message] = await getDb().select().from(messages).where(eq(messages.ticketId, inbound.ticketId!))
    expect(message!.filesNotKept).toBeNull()
    const { data, html } = await ticketPage(agent, inbound.ticketId!)
    expect(data.thread.at(-1)).not.toHaveProperty('filesNotKept')
    expect(html).not.toContain('not kept')
    const [{ number }] = await getDb()
      .select({ number: tickets.number })
      .from(tickets)
      .where(eq(tickets.id, inbound.ticketId!))
    const page = await listMessagesPage(asMember(agent), number, undefined, 100)
    if (page.kind !== 'page') throw new Error(page.kind)
    expect(page.rows.map(messageJson).map((m) => m.attachments_not_kept)).toEqual([null])
  })
})

describe('a long inbound email', () => {
  it('is cut with a note saying so, and its whole text is kept with the message as original-message.txt', async () => {
    const agent = await createMember()
    const to = `${agent.workspace.slug}.support@${INBOUND}`
    const lines: string[] = []
    for (let i = 0, length = 0; length < 3_100_000; i++) {
      lines.push(`Line ${i}: ünïcödé ✓ 😀 log output`)
      length += lines.at(-1)!.length + 1
    }
    const text = lines.join('\n')
    const eml = Buffer.from(
      [
        'From: Casey <casey@example.org>',
        `To: ${to}`,
        'Subject: A very long log',
        `Message-ID: <long-${++n}@example.org>`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
        text,
      ].join('\r\n'),
    )
    const inbound = await post(eml, to)
    const [message] = await getDb().select().from(messages).where(eq(messages.ticketId, inbound.ticketId!))
    const note =
      '[This email was longer than 200,000 characters; the rest was not kept here. The whole text is attached as original-message.txt.]'
    expect(message!.bodyText.endsWith(`\n\n${note}`)).toBe(true)
    const kept = message!.bodyText.slice(0, -(note.length + 2))
    expect(kept.length).toBeLessThanOrEqual(200_000)
    expect(kept.length).toBeGreaterThan(199_990)
    expect(text.startsWith(kept)).toBe(true)
    const files = await getDb().select().from(attachments).where(eq(attachments.messageId, message!.id))
    expect(files.map((f) => [f.filename, f.contentType])).toEqual([
      ['original-message.txt', 'text/plain; charset=utf-8'],
    ])
    expect(fs.readFileSync(pathFor(files[0]!.sha256), 'utf8')).toBe(text)
    expect(inbound.error).toContain('cut, the whole text attached as original-message.txt')
    // The agent sees the note at the end of the message, and the file under it.
    const { data } = await ticketPage(agent, inbound.ticketId!)
    const shown = data.thread.at(-1) as { bodyText: string; attachments: Array<{ filename: string }> }
    expect(shown.bodyText.endsWith(note)).toBe(true)
    expect(shown.attachments.map((a) => a.filename)).toEqual(['original-message.txt'])
  })
})
