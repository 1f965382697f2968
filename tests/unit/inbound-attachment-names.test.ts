import { expect, it } from 'vitest'
import { parseInboundPost } from '#app/domain/inbound-parse.server.ts'
import { multipartBody, rawModePost } from '#tests/helpers/inbound-post.ts'

const INVITE = 'BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n'

it('names parts that came without a name for their content type, in both Inbound Parse modes', async () => {
  const eml = Buffer.from(
    'From: Ana <ana@example.org>\r\nTo: desk@example.test\r\nSubject: Meeting\r\nMessage-ID: <cal-1@example.org>\r\n' +
      'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n' +
      '--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee you there.\r\n' +
      `--b1\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\nContent-Disposition: attachment\r\n\r\n${INVITE}` +
      '--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment\r\n\r\n%PDF-1.4 fake\r\n--b1--\r\n',
  )
  const raw = rawModePost(eml, { envelopeTo: ['desk@example.test'] })
  const fromRaw = await parseInboundPost(raw.contentType, raw.body)
  expect(fromRaw.attachments.map((a) => a.filename)).toEqual(['invite.ics', 'document.pdf'])

  // Default mode: attachment-info without a filename, the file part named only after its field.
  const parsed = multipartBody([
    { name: 'headers', value: 'From: Ana <ana@example.org>\r\nSubject: Meeting' },
    { name: 'from', value: 'Ana <ana@example.org>' },
    { name: 'to', value: 'desk@example.test' },
    { name: 'subject', value: 'Meeting' },
    { name: 'text', value: 'See you there.' },
    { name: 'attachment1', value: INVITE, filename: 'attachment1', type: 'text/calendar' },
    { name: 'attachments', value: '1' },
    { name: 'attachment-info', value: JSON.stringify({ attachment1: { type: 'text/calendar' } }) },
    { name: 'envelope', value: JSON.stringify({ to: ['desk@example.test'], from: 'ana@example.org' }) },
  ])
  const fromParsed = await parseInboundPost(parsed.contentType, parsed.body)
  expect(fromParsed.attachments.map((a) => a.filename)).toEqual(['invite.ics'])
})
