import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { prepareInboundBody } from '#app/domain/inbound-body.server.ts'
import { parseInboundPost } from '#app/domain/inbound-parse.server.ts'
import { rawModePost } from '#tests/helpers/inbound-post.ts'

const filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-inbound-duplicates-'))
afterAll(() => fs.rmSync(filesDir, { recursive: true, force: true }))

const INVITE =
  'BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Call\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'

async function keptFiles(parts: string) {
  const eml = Buffer.from(
    'From: Ana <ana@example.org>\r\nTo: desk@example.test\r\nSubject: Meeting\r\nMessage-ID: <dup-1@example.org>\r\n' +
      `MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="m"\r\n\r\n${parts}--m--\r\n`,
  )
  const post = rawModePost(eml, { envelopeTo: ['desk@example.test'] })
  const body = await prepareInboundBody(await parseInboundPost(post.contentType, post.body), filesDir)
  return body.files.map((f) => f.filename)
}

it('lists a calendar invitation once: its text/calendar part and the attached invite.ics are one file', async () => {
  const files = await keptFiles(
    '--m\r\nContent-Type: multipart/alternative; boundary="a"\r\n\r\n' +
      '--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nJoin the call.\r\n' +
      `--a\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\n${INVITE}--a--\r\n` +
      `--m\r\nContent-Type: application/ics; name="invite.ics"\r\nContent-Disposition: attachment; filename="invite.ics"\r\n\r\n${INVITE}`,
  )
  expect(files).toEqual(['invite.ics'])
})

it('keeps files that differ in name or in bytes', async () => {
  const part = (name: string, content: string) =>
    `--m\r\nContent-Type: text/plain; name="${name}"\r\nContent-Disposition: attachment; filename="${name}"\r\n\r\n${content}\r\n`
  const files = await keptFiles(
    '--m\r\nContent-Type: text/plain\r\n\r\nThree files.\r\n' +
      part('a.txt', 'one') +
      part('a.txt', 'two') +
      part('b.txt', 'one') +
      part('a.txt', 'one'),
  )
  expect(files).toEqual(['a.txt', 'a.txt', 'b.txt'])
})
