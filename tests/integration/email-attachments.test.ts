import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { eq } from 'drizzle-orm'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { getDb } from '#db/client.ts'
import { attachments, emails, messages, users } from '#db/schema.ts'
import { deliverEmail, retryEmailDelivery } from '#app/domain/email.server.ts'
import { pathFor } from '#app/integrations/storage.server.ts'
import * as devEmailRoute from '#app/routes/dev.emails.$id.tsx'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import { deliveredCopies } from '#tests/fakes/sendgrid.ts'
import { withFakeSendGrid } from '#tests/helpers/email-attempts.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { callAction, callLoader } from '#tests/helpers/routes.ts'

// Found from outside (2026-12-07): a file attached to an agent's reply was never emailed, and the
// email did not name it; with CC (no private link in the email) the customer could not get it at
// all. The reply's files now go as the email's attachments, read from storage at each send.

const dataDir = vi.hoisted(() => {
  const nodeFs = process.getBuiltinModule('node:fs')
  const nodePath = process.getBuiltinModule('node:path')
  const nodeOs = process.getBuiltinModule('node:os')
  const dir = nodeFs.mkdtempSync(nodePath.join(nodeOs.tmpdir(), 'switchboard-email-attachments-'))
  process.env.DATA_DIR = dir
  return dir
})

const fake = withFakeSendGrid()
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }))

type Agent = Awaited<ReturnType<typeof createMember>>

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(3000)])
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), randomBytes(517)])

/** The composer's post: a reply with its files, as the ticket page sends it (multipart). */
function postReply(agent: Agent, number: number, fields: Record<string, string | string[]>, files: File[]) {
  const form = new FormData()
  for (const [name, value] of Object.entries({ intent: 'reply', kind: 'reply', ...fields }))
    for (const one of [value].flat()) form.append(name, one)
  for (const f of files) form.append('files', f)
  return callAction(ticketRoute, `/w/${agent.workspace.slug}/tickets/${number}`, form, {
    cookie: agent.cookie,
    params: { slug: agent.workspace.slug, number: String(number) },
  })
}

async function replyWith(agent: Agent, number: number, fields: Record<string, string>, files: File[]) {
  const posted = await postReply(agent, number, fields, files)
  expect(posted.status).toBe(302)
  const messageId = posted.location!.split('#m-')[1]!
  const [email] = await getDb().select().from(emails).where(eq(emails.messageId, messageId))
  return { messageId, email: email! }
}

async function runJob(emailId: string) {
  const [row] = await getDb().select().from(emails).where(eq(emails.id, emailId))
  return deliverEmail(emailId, row!.jobId!)
}

const pdf = () => new File([PDF], 'doc.pdf', { type: 'application/pdf' })
const png = () => new File([PNG], 'photo.png', { type: 'image/png' })

/** The files as the customer's mail client gets them: decoded from what went on the wire. */
function received(mail = fake.accepted.at(-1)!) {
  return (mail.attachments ?? []).map((a) => ({
    filename: a.filename,
    type: a.type,
    disposition: a.disposition,
    bytes: Buffer.from(a.content, 'base64'),
  }))
}

describe("an agent reply's files", () => {
  it('go with the email as attachments (bytes, names, types), and both parts name them', async () => {
    const agent = await createMember()
    const ticket = await createTicketFor(agent)
    fake.reset()
    const { email } = await replyWith(agent, ticket.number, { body: 'The invoice and a photo.' }, [
      pdf(),
      png(),
    ])
    expect((await runJob(email.id)).outcome).toBe('sent')
    expect(fake.accepted).toHaveLength(1)
    expect(received()).toEqual([
      { filename: 'doc.pdf', type: 'application/pdf', disposition: 'attachment', bytes: PDF },
      { filename: 'photo.png', type: 'image/png', disposition: 'attachment', bytes: PNG },
    ])
    const [text, html] = fake.accepted[0]!.content.map((c) => c.value)
    expect(text).toContain('Attached: doc.pdf (2.9 KB)\nAttached: photo.png (533 B)')
    expect(html).toContain('Attached: doc.pdf (2.9 KB)<br/>Attached: photo.png (533 B)')
  })

  it('reach the CC and BCC recipients too (their copies name them; none carries the link)', async () => {
    const agent = await createMember()
    const ticket = await createTicketFor(agent, { customerEmail: 'casey@example.net' })
    fake.reset()
    const { email } = await replyWith(
      agent,
      ticket.number,
      { body: 'Copying my manager.', ccShown: '1', cc: 'boss@example.net', bcc: 'audit@example.org' },
      [pdf()],
    )
    expect((await runJob(email.id)).outcome).toBe('sent')
    const mail = fake.accepted.at(-1)!
    expect(received(mail).map((f) => [f.filename, f.bytes.equals(PDF)])).toEqual([['doc.pdf', true]])
    const copies = deliveredCopies(mail)
    expect(copies.map((c) => c.recipient).sort()).toEqual([
      'audit@example.org',
      'boss@example.net',
      'casey@example.net',
    ])
    for (const copy of copies) expect(copy.text).toContain('Attached: doc.pdf (2.9 KB)')
  })

  it('and a BCC with no CC: the customer copy with its link and the BCC copy both carry and name them', async () => {
    const agent = await createMember()
    const ticket = await createTicketFor(agent, { customerEmail: 'casey@example.net' })
    fake.reset()
    const { email } = await replyWith(agent, ticket.number, { body: 'Here.', bcc: 'audit@example.org' }, [
      png(),
    ])
    expect((await runJob(email.id)).outcome).toBe('sent')
    const mail = fake.accepted.at(-1)!
    expect(received(mail).map((f) => f.filename)).toEqual(['photo.png'])
    const copies = deliveredCopies(mail)
    expect(copies).toHaveLength(2)
    for (const copy of copies) expect(copy.text).toContain('Attached: photo.png (533 B)')
  })

  it('that do not fit in 30 MB are named as not attached, with the private link to get them', async () => {
    const agent = await createMember()
    const ticket = await createTicketFor(agent)
    // 14 MB + 10 MB in base64 is 32 MB: the second stays out, the small one after it goes.
    const big = randomBytes(14 * 1024 * 1024)
    const second = randomBytes(10 * 1024 * 1024)
    fake.reset()
    const { email } = await replyWith(agent, ticket.number, { body: 'Three files.' }, [
      new File([big], 'big.bin', { type: 'application/octet-stream' }),
      new File([second], 'second.bin', { type: 'application/octet-stream' }),
      new File(['small'], 'small.txt', { type: 'text/plain' }),
    ])
    expect((await runJob(email.id)).outcome).toBe('sent')
    const files = received()
    expect(files.map((f) => [f.filename, f.bytes.length])).toEqual([
      ['big.bin', big.length],
      ['small.txt', 5],
    ])
    expect(files[0]!.bytes.equals(big)).toBe(true)
    const [text] = fake.accepted.at(-1)!.content.map((c) => c.value)
    expect(text).toContain(
      'Attached: big.bin (14.0 MB)\nAttached: small.txt (5 B)\nNot attached, too large to email: second.bin (10.0 MB); download it with "View this conversation" below',
    )
    expect(text).toMatch(/View this conversation http:\/\/localhost:3000\/support\/t\/\S+ · Ticket/)
    // The local outbox viewer lists what the email carries.
    const page = await callLoader(devEmailRoute, `/dev/emails/${email.id}`, { params: { id: email.id } })
    expect(page.data.email.attachments).toEqual([
      { filename: 'big.bin', contentType: 'application/octet-stream', size: big.length },
      { filename: 'small.txt', contentType: 'text/plain', size: 5 },
    ])
  })

  it('of several emails are sent a few at a time: large ones take turns, an email without files does not wait', async () => {
    // Found by review (2026-12-07): every send read its files into memory at once, about five
    // times their size each until SendGrid answered; eight sends of a 22 MB file held ~0.9 GB.
    const agent = await createMember()
    const ticket = await createTicketFor(agent)
    const size = 18 * 1024 * 1024 // two of them are over ATTACHMENT_BYTES_AT_ONCE
    const big: Awaited<ReturnType<typeof replyWith>>[] = []
    for (const name of ['one.bin', 'two.bin', 'three.bin']) {
      const file = new File([randomBytes(size)], name, { type: 'application/octet-stream' })
      big.push(await replyWith(agent, ticket.number, { body: `Here is ${name}.` }, [file]))
    }
    const plain = await replyWith(agent, ticket.number, { body: 'No files in this one.' }, [])
    fake.reset()
    fake.failNext({ status: 202, delayMs: 400 }, 4)
    const outcomes = await Promise.all([...big, plain].map(({ email }) => runJob(email.id)))
    expect(outcomes.map((o) => o.outcome)).toEqual(['sent', 'sent', 'sent', 'sent'])
    const carrying = fake.requests.filter(
      (r) => ((r.body as { attachments?: unknown[] }).attachments ?? []).length,
    )
    expect(carrying).toHaveLength(3)
    carrying.sort((a, b) => a.at - b.at)
    // Each large email reached SendGrid only after the one before it was answered.
    for (let i = 1; i < carrying.length; i++)
      expect(carrying[i]!.at).toBeGreaterThanOrEqual(carrying[i - 1]!.answeredAt!)
    const withoutFiles = fake.requests.find((r) => !(r.body as { attachments?: unknown[] }).attachments)!
    expect(withoutFiles.at).toBeLessThan(carrying.at(-1)!.at)
  })

  it('missing from storage fail the email visibly (nothing sent); restored, its Retry sends them', async () => {
    const agent = await createMember()
    const ticket = await createTicketFor(agent)
    fake.reset()
    const unique = Buffer.concat([PDF, randomBytes(16)])
    const { email, messageId } = await replyWith(agent, ticket.number, { body: 'Attached.' }, [
      new File([unique], 'lost.pdf', { type: 'application/pdf' }),
    ])
    const [row] = await getDb().select().from(attachments).where(eq(attachments.messageId, messageId))
    const stored = pathFor(row!.sha256)
    fs.renameSync(stored, `${stored}.aside`)
    expect((await runJob(email.id)).outcome).toBe('failed')
    expect(fake.requests).toHaveLength(0)
    const [failed] = await getDb().select().from(emails).where(eq(emails.id, email.id))
    expect(failed!.status).toBe('failed')
    expect(failed!.error).toContain('"lost.pdf" is missing from the file storage')
    const [message] = await getDb().select().from(messages).where(eq(messages.id, messageId))
    expect(message!.deliveryStatus).toBe('failed')

    fs.renameSync(`${stored}.aside`, stored)
    const member = { workspaceId: agent.workspace.id, userId: agent.user.id }
    expect((await retryEmailDelivery(member, ticket.number, messageId)).kind).toBe('queued')
    expect((await runJob(email.id)).outcome).toBe('sent')
    expect(received().map((f) => [f.filename, f.bytes.equals(unique)])).toEqual([['lost.pdf', true]])
  })

  it("never carries another workspace's file: an email naming one is not sent", async () => {
    const agent = await createMember()
    const other = await createMember()
    const ticket = await createTicketFor(agent)
    const otherTicket = await createTicketFor(other)
    const theirs = await replyWith(other, otherTicket.number, { body: 'Private.' }, [
      new File(['their secret'], 'secret.txt', { type: 'text/plain' }),
    ])
    const [secret] = await getDb()
      .select()
      .from(attachments)
      .where(eq(attachments.messageId, theirs.messageId))
    const mine = await replyWith(agent, ticket.number, { body: 'Mine.' }, [pdf()])
    await getDb()
      .update(emails)
      .set({ attachmentIds: [...mine.email.attachmentIds, secret!.id] })
      .where(eq(emails.id, mine.email.id))
    fake.reset()
    expect((await runJob(mine.email.id)).outcome).toBe('failed')
    expect(fake.requests).toHaveLength(0)
  })

  it('taken back with Undo send and sent again, go with the new email', async () => {
    const agent = await createMember('agent')
    await getDb().update(users).set({ undoSendSeconds: 30 }).where(eq(users.id, agent.user.id))
    const ticket = await createTicketFor(agent)
    const held = await replyWith(agent, ticket.number, { body: 'First try.' }, [pdf()])
    expect(
      (await postReply(agent, ticket.number, { intent: 'undo-send', messageId: held.messageId }, [])).status,
    ).toBe(302)
    fake.reset()
    const again = await replyWith(agent, ticket.number, { body: 'Second try.', keepFile: sha256Of(PDF) }, [
      png(),
    ])
    expect((await runJob(again.email.id)).outcome).toBe('sent')
    expect(received().map((f) => f.filename)).toEqual(['doc.pdf', 'photo.png'])
  })
})

function sha256Of(bytes: Buffer) {
  return createHash('sha256').update(bytes).digest('hex')
}
