import iconv from 'iconv-lite'
import { randomBytes } from 'node:crypto'
import { asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { contacts, messages, tickets } from '#db/schema.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { parsedModePost, rawModePost } from '#tests/helpers/inbound-post.ts'
import { inboundPostsSettled, postInbound, startInboundServer } from '#tests/helpers/inbound-server.ts'

/**
 * Windows-1252 bytes in a part labelled `charset=utf-8` (a mailer that labels everything UTF-8,
 * text pasted from Word): reproduced from outside (2026-12-07), every such byte was stored as
 * U+FFFD in raw and parsed mode. A part labelled UTF-8 that is not valid UTF-8 is read as
 * windows-1252, as mail clients do; valid UTF-8 is read as before.
 */
const SECRET = 'charset-fallback-secret-0123456789abcdef'
const INBOUND = 'charsets.example.test'
let server: Awaited<ReturnType<typeof startInboundServer>>

beforeAll(async () => {
  server = await startInboundServer({ secret: SECRET, domain: INBOUND, maxPerSenderHour: 100 })
})
afterAll(async () => {
  await server?.close()
})

const SENTENCE = 'Hi, the “Export” button says €0 – café.'
const cp1252 = (text: string) => iconv.encode(text, 'windows-1252')

function eml(to: string, head: string, body: Buffer) {
  return Buffer.concat([
    Buffer.from(
      `From: Casey <casey@example.org>\r\nTo: ${to}\r\nMessage-ID: <cs-${randomBytes(6).toString('hex')}@example.org>\r\n` +
        `MIME-Version: 1.0\r\n${head}`,
      'latin1',
    ),
    body,
  ])
}

const plainUtf8 = (to: string, subject: string, body: Buffer) =>
  eml(
    to,
    `Subject: ${subject}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n`,
    Buffer.concat([body, Buffer.from('\r\n')]),
  )

async function filedMessage(workspaceId: string) {
  const [row] = await getDb()
    .select({ subject: tickets.subject, body: messages.bodyText, html: messages.bodyHtml })
    .from(messages)
    .innerJoin(tickets, eq(tickets.id, messages.ticketId))
    .where(eq(messages.workspaceId, workspaceId))
    .orderBy(asc(messages.createdAt))
  return row
}

describe.each(['raw', 'parsed'] as const)('%s mode', (mode) => {
  const file = async (email: Buffer, to: string) => {
    const p =
      mode === 'raw'
        ? rawModePost(email, { envelopeTo: [to] })
        : await parsedModePost(email, { envelopeTo: [to] })
    expect((await postInbound(server, SECRET, p)).status).toBe(200)
    await inboundPostsSettled()
  }

  it('reads windows-1252 bytes labelled UTF-8 as windows-1252', async () => {
    const m = await createMember()
    const to = `${m.workspace.slug}.support@${INBOUND}`
    await file(plainUtf8(to, 'Export button', cp1252(SENTENCE)), to)
    const message = await filedMessage(m.workspace.id)
    expect(message.body).toBe(SENTENCE)
  })

  it('reads 8-bit windows-1252 bytes in the headers (Subject, From’s name) as windows-1252', async () => {
    const m = await createMember()
    const to = `${m.workspace.slug}.support@${INBOUND}`
    const email = Buffer.concat([
      Buffer.from('From: '),
      cp1252('José Núñez'),
      Buffer.from(` <jose@example.org>\r\nTo: ${to}\r\nSubject: `),
      cp1252('Café – “Export”'),
      Buffer.from(
        `\r\nMessage-ID: <cs-${randomBytes(6).toString('hex')}@example.org>\r\nMIME-Version: 1.0\r\n` +
          'Content-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n',
      ),
    ])
    await file(email, to)
    const [ticket] = await getDb()
      .select({ subject: tickets.subject, name: contacts.name })
      .from(tickets)
      .innerJoin(contacts, eq(contacts.id, tickets.contactId))
      .where(eq(tickets.workspaceId, m.workspace.id))
    expect(ticket).toEqual({ subject: 'Café – “Export”', name: 'José Núñez' })
  })

  it('reads a part mixing UTF-8 and windows-1252 sequence by sequence, body and subject', async () => {
    const m = await createMember()
    const to = `${m.workspace.slug}.support@${INBOUND}`
    // "café – naïve €": café and € in UTF-8, the dash and naïve in windows-1252. Before, the
    // whole part was read as windows-1252 and its UTF-8 became "cafÃ©" and "â‚¬".
    const mixed = Buffer.concat([Buffer.from('café ', 'utf8'), cp1252('– naïve '), Buffer.from('€', 'utf8')])
    const email = eml(
      to,
      'Subject: ',
      Buffer.concat([
        mixed,
        Buffer.from('\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'),
        mixed,
        Buffer.from('\r\n'),
      ]),
    )
    await file(email, to)
    const message = await filedMessage(m.workspace.id)
    expect(message).toMatchObject({ subject: 'café – naïve €', body: 'café – naïve €' })
  })

  it('leaves valid UTF-8 as it is, a replacement character it carries too', async () => {
    const m = await createMember()
    const to = `${m.workspace.slug}.support@${INBOUND}`
    const text = `${SENTENCE} Grüße, 日本語, 🙂 and a \uFFFD the sender wrote.`
    await file(plainUtf8(to, 'Valid', Buffer.from(text, 'utf8')), to)
    expect((await filedMessage(m.workspace.id)).body).toBe(text)
  })
})

describe('raw mode, MIME parts and headers', () => {
  it('reads a quoted-printable HTML part and an encoded-word subject labelled UTF-8 in windows-1252', async () => {
    const m = await createMember()
    const to = `${m.workspace.slug}.support@${INBOUND}`
    const qp = (bytes: Buffer) =>
      [...bytes]
        .map((b) => (b >= 0x80 || b === 0x3d ? `=${b.toString(16).toUpperCase()}` : String.fromCharCode(b)))
        .join('')
    const email = eml(
      to,
      `Subject: =?utf-8?Q?${qp(cp1252('Caf\u00e9 export')).replace(/ /g, '_')}?=\r\n` +
        `Content-Type: multipart/alternative; boundary="alt"\r\n\r\n` +
        `--alt\r\nContent-Type: text/plain; charset="UTF-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${qp(cp1252(SENTENCE))}\r\n` +
        `--alt\r\nContent-Type: text/html; charset="UTF-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>${qp(cp1252(SENTENCE))}</p>\r\n` +
        `--alt--\r\n`,
      Buffer.alloc(0),
    )
    expect((await postInbound(server, SECRET, rawModePost(email, { envelopeTo: [to] }))).status).toBe(200)
    await inboundPostsSettled()
    const message = await filedMessage(m.workspace.id)
    expect(message.subject).toBe('Café export')
    expect(message.body).toBe(SENTENCE)
    expect(message.html).toContain(SENTENCE.replace('&', '&amp;'))
  })
})
