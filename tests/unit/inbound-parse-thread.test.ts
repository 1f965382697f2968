import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { parseInboundPost, InboundParseError } from '#app/domain/inbound-parse.server.ts'
import {
  parseAndPrepareInThread,
  parseInboundPostInThread,
  stopParseThread,
} from '#app/domain/inbound-parse-thread.server.ts'
import { fixture, multipartBody, rawModePost } from '#tests/helpers/inbound-post.ts'

afterAll(() => stopParseThread())

const withAttachment = () =>
  Buffer.from(
    'From: Ana <ana@example.org>\r\nTo: desk@example.test\r\nSubject: Invoice\r\nMessage-ID: <inv-1@example.org>\r\n' +
      'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n' +
      '--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n' +
      '--b1\r\nContent-Type: application/pdf; name="a.pdf"\r\nContent-Disposition: attachment; filename="a.pdf"\r\n' +
      `Content-Transfer-Encoding: base64\r\n\r\n${Buffer.from('%PDF-1.4 fake').toString('base64')}\r\n--b1--\r\n`,
  )

it('gives the same result as parsing on the main thread, with attachments as Buffers', async () => {
  for (const eml of [withAttachment(), fixture('gmail-reply.eml')]) {
    const post = rawModePost(eml, { envelopeTo: ['desk@example.test'] })
    const inThread = await parseInboundPostInThread(post.contentType, post.body)
    expect(inThread).toEqual(await parseInboundPost(post.contentType, post.body))
    for (const a of inThread.attachments) expect(Buffer.isBuffer(a.content)).toBe(true)
  }
  const post = rawModePost(withAttachment(), { envelopeTo: ['x@y.test'] })
  const [pdf] = (await parseInboundPostInThread(post.contentType, post.body)).attachments
  expect(pdf.content.toString()).toBe('%PDF-1.4 fake')
})

it('rejects an unparseable post with InboundParseError, and keeps working after', async () => {
  const empty = multipartBody([])
  await expect(parseInboundPostInThread(empty.contentType, empty.body)).rejects.toBeInstanceOf(
    InboundParseError,
  )
  await expect(
    parseInboundPostInThread('multipart/form-data; boundary=zz', Buffer.from('junk')),
  ).rejects.toThrow()
  const post = rawModePost(withAttachment(), { envelopeTo: ['desk@example.test'] })
  expect((await parseInboundPostInThread(post.contentType, post.body)).subject).toBe('Invoice')
})

it('starts a new thread when the old one ended, failing only the posts it held', async () => {
  const post = rawModePost(withAttachment(), { envelopeTo: ['desk@example.test'] })
  await stopParseThread()
  // A new thread loads its modules before it reads a message: ended right away, it holds this post.
  const held = parseInboundPostInThread(post.contentType, post.body)
  await stopParseThread()
  await expect(held).rejects.toThrow(/exited/)
  expect((await parseInboundPostInThread(post.contentType, post.body)).subject).toBe('Invoice')
})

it('reads a stored post from its file on the thread, with the same result as from bytes', async () => {
  const post = rawModePost(withAttachment(), { envelopeTo: ['desk@example.test'] })
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sb-parse-')), 'post')
  fs.writeFileSync(file, post.body)
  expect(await parseInboundPostInThread(post.contentType, { file })).toEqual(
    await parseInboundPost(post.contentType, post.body),
  )
  // A missing file is a failure to retry (the job's), not an unparseable email.
  const missing = parseInboundPostInThread(post.contentType, { file: `${file}-gone` })
  await expect(missing).rejects.toThrow(/ENOENT/)
  await expect(missing).rejects.not.toBeInstanceOf(InboundParseError)
  fs.rmSync(path.dirname(file), { recursive: true, force: true })
})

it('prepares the body on the thread: attachments stored at their content address, HTML sanitized, no bytes sent back', async () => {
  const eml = Buffer.from(
    'From: Ana <ana@example.org>\r\nTo: desk@example.test\r\nSubject: Pics\r\nMessage-ID: <pics-1@example.org>\r\n' +
      'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n' +
      '--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n' +
      '<p onclick="x()">Hi <img src="cid:logo@x"> <img src="cid:%E0%A4%A"><script>alert(1)</script></p>\r\n' +
      '--b1\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Disposition: inline; filename="logo.png"\r\n' +
      `Content-Transfer-Encoding: base64\r\n\r\n${Buffer.from('png-bytes').toString('base64')}\r\n` +
      '--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="setup.exe"\r\n' +
      `Content-Transfer-Encoding: base64\r\n\r\n${Buffer.from('MZ').toString('base64')}\r\n--b1--\r\n`,
  )
  const post = rawModePost(eml, { envelopeTo: ['desk@example.test'] })
  const filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-prepare-'))
  const { email, prepared } = await parseAndPrepareInThread(post.contentType, post.body, filesDir)
  expect(email.subject).toBe('Pics')
  expect(email.attachments).toEqual([])
  const sha = createHash('sha256').update('png-bytes').digest('hex')
  expect(prepared.files).toEqual([{ filename: 'logo.png', contentType: 'image/png', size: 9, sha256: sha }])
  expect(fs.readFileSync(path.join(filesDir, sha.slice(0, 2), sha), 'utf8')).toBe('png-bytes')
  expect(prepared.notes).toEqual(['1 executable attachment(s) refused.'])
  expect(prepared.html).toContain(`cid:${sha}`)
  expect(prepared.html).toContain('cid:%E0%A4%A')
  expect(prepared.html).not.toMatch(/script|onclick/)
  expect(prepared.text).toBe('Hi')
  expect(fs.readdirSync(path.join(filesDir, 'tmp'))).toEqual([])
})
