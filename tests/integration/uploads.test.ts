import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import {
  FIELD_TOO_LONG,
  parseFormWithFiles,
  UNREADABLE_UPLOAD,
  type ParsedUpload,
} from '#app/http/uploads.server.ts'
import { filesDir, pathFor } from '#app/integrations/storage.server.ts'
import { RAW_BOUNDARY, rawMultipart, rawMultipartRequest, type RawPart } from '#tests/helpers/multipart.ts'

// Stored files go to a DATA_DIR of this file's own, set before any app module reads the
// configuration (hoisted above the imports).
const dataDir = vi.hoisted(() => {
  const nodeFs = process.getBuiltinModule('node:fs')
  const nodePath = process.getBuiltinModule('node:path')
  const nodeOs = process.getBuiltinModule('node:os')
  const dir = nodeFs.mkdtempSync(nodePath.join(nodeOs.tmpdir(), 'switchboard-uploads-'))
  process.env.DATA_DIR = dir
  return dir
})

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true })
})

function multipart(build: (form: FormData) => void) {
  const form = new FormData()
  build(form)
  return new Request('http://localhost/upload', { method: 'POST', body: form })
}

// A multipart body with its length announced (as every browser's is) up to 256 KB is read whole and
// given to busboy in one write; a larger one, or one of unknown length, streams through it. Every
// test below runs both ways and must give the same form, files and refusals.
describe.each([
  ['streamed (no Content-Length)', false],
  ['read whole (Content-Length announced)', true],
])('parseFormWithFiles, multipart %s', (_path, announced) => {
  const parseForm = (request: Request) => parseAnnounced(request, announced)
  const parseRaw = (parts: RawPart[]) => parseForm(raw(rawMultipart(parts)))

  it('stores files by content hash, skips an empty file input and keeps the text fields', async () => {
    const content = `hello ${Math.random()}`
    const parsed = await parseForm(
      multipart((form) => {
        form.append('body', 'A message')
        form.append('files', new File([], ''))
        form.append('files', new File([content], 'notes.txt', { type: 'text/plain' }))
      }),
    )
    if (!parsed.ok) throw new Error(parsed.error)
    expect(parsed.formData.get('body')).toBe('A message')
    expect(parsed.files).toHaveLength(1)
    expect(parsed.files[0]).toMatchObject({
      filename: 'notes.txt',
      contentType: 'text/plain',
      size: content.length,
    })
    expect(fs.readFileSync(pathFor(parsed.files[0].sha256), 'utf8')).toBe(content)
  })

  it('stops at the first problem and still reads the rest of the form', async () => {
    const parsed = await parseForm(
      multipart((form) => {
        form.append('files', new File(['x'], 'setup.exe'))
        form.append('files', new File(['y'], 'after.txt'))
        form.append('body', 'kept')
      }),
    )
    expect(parsed.ok).toBe(false)
    if (parsed.ok) return
    expect(parsed.error).toBe('setup.exe: executable files are not allowed')
    expect(parsed.formData.get('body')).toBe('kept')
  })

  it('refuses an eleventh file', async () => {
    const parsed = await parseForm(
      multipart((form) => {
        for (let i = 0; i < 11; i++) form.append('files', new File([`file ${i}`], `f${i}.txt`))
      }),
    )
    expect(parsed).toMatchObject({ ok: false, error: 'Attach at most 10 files' })
  })

  it('keeps a long message for the schema to judge, and refuses an absurd text field', async () => {
    const long = await parseForm(multipart((form) => form.append('body', 'x'.repeat(150_000))))
    expect(long.ok && String(long.formData.get('body')).length).toBe(150_000)
    const absurd = await parseForm(multipart((form) => form.append('body', 'x'.repeat(2_000_000))))
    expect(absurd).toMatchObject({ ok: false, error: 'The message is too long' })
  })

  it('reads a url-encoded form as it is', async () => {
    const parsed = await parseForm(
      new Request('http://localhost/upload', {
        method: 'POST',
        body: new URLSearchParams({ body: 'plain' }),
      }),
    )
    expect(parsed.ok && parsed.formData.get('body')).toBe('plain')
  })

  // Small url-encoded bodies with a Content-Length are read whole; others stream through busboy.
  // Both must give the same form and the same refusals.
  describe.each([
    ['read whole (Content-Length announced)', true],
    ['streamed (no Content-Length)', false],
  ])('a url-encoded body, %s', (_path, announced) => {
    function urlencoded(body: string) {
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
      if (announced) headers['content-length'] = String(Buffer.byteLength(body))
      return new Request('http://localhost/upload', { method: 'POST', headers, body })
    }

    it('keeps every field as typed: repeated names, "+" and percent escapes, any script', async () => {
      const parsed = await parseForm(
        urlencoded(
          'body=Gr%C3%BC%C3%9Fe+aus+K%C3%B6ln%2C+%F0%9F%98%80&cc=a%40x.test&cc=b%40x.test&empty=&flag',
        ),
      )
      if (!parsed.ok) throw new Error(parsed.error)
      expect([...parsed.formData.entries()]).toEqual([
        ['body', 'Grüße aus Köln, 😀'],
        ['cc', 'a@x.test'],
        ['cc', 'b@x.test'],
        ['empty', ''],
        ['flag', ''],
      ])
      expect(parsed.files).toEqual([])
    })

    it('calls a pair without a name unreadable', async () => {
      expect(await parseForm(urlencoded('body=hi&=orphan'))).toMatchObject({
        ok: false,
        error: UNREADABLE_UPLOAD,
      })
    })

    it('refuses a field over 1 MB as too long and keeps none of the form', async () => {
      const parsed = await parseForm(urlencoded(`kind=reply&body=${'x'.repeat(1_200_000)}`))
      expect(parsed).toMatchObject({ ok: false, error: FIELD_TOO_LONG })
      expect([...parsed.formData.keys()]).toEqual([])
    })

    it.each([
      ['201 fields', Array.from({ length: 201 }, (_, i) => `f${i}=x`).join('&')],
      ['a million empty-valued pairs', 'a&'.repeat(1_000_000)],
      ['a deep name', 'a[0][0][0]=1'],
      ['a name over 100 characters', `${'n'.repeat(101)}=1`],
    ])('refuses %s with the small 400', async (_case, body) => {
      const refused = await parseForm(urlencoded(body)).catch((thrown: unknown) => thrown)
      expect(refused).toBeInstanceOf(Response)
      expect((refused as Response).status).toBe(400)
    })

    it('takes the 200 fields the limit allows', async () => {
      const parsed = await parseForm(urlencoded(Array.from({ length: 200 }, (_, i) => `f${i}=x`).join('&')))
      expect(parsed.ok && [...parsed.formData.keys()].length).toBe(200)
    })
  })

  it.each([
    ['quotes, a semicolon and an equals sign', 'Résumé "final"; v=2.pdf'],
    ['Japanese', '請求書 2024年 第3四半期.pdf'],
    ['parameters that look like more parameters', 'a=b; filename="c.exe"; d.txt'],
    ['an apostrophe and an emoji', "l'été 📎.txt"],
  ])('keeps a filename with %s exactly as the browser sent it', async (_case, filename) => {
    const parsed = await parseForm(multipart((form) => form.append('files', new File(['content'], filename))))
    if (!parsed.ok) throw new Error(parsed.error)
    expect(parsed.files.map((f) => f.filename)).toEqual([filename])
  })

  it.each([
    ['an RFC 5987 filename*', `filename*=UTF-8''R%C3%A9sum%C3%A9%20%E6%9B%B8.pdf`, 'Résumé 書.pdf'],
    ['filename* over a plain fallback', `filename="fallback.pdf"; filename*=UTF-8''%E2%9C%93.pdf`, '✓.pdf'],
    ['raw UTF-8 inside filename="…"', 'filename="Résumé.pdf"', 'Résumé.pdf'],
    ['a backslash-escaped quote', 'filename="say \\"hi\\".txt"', 'say "hi".txt'],
    ['a Windows path', 'filename="C:\\\\Users\\\\pat\\\\report.pdf"', 'report.pdf'],
    ['control characters', `filename*=UTF-8''a%07b%1B%7Fc.txt`, 'a_b__c.txt'],
    ['an escaped line break', 'filename="two%0D%0Alines.txt"', 'two__lines.txt'],
    [
      'bidi overrides, isolates and marks',
      `filename*=UTF-8''${encodeURIComponent('in\u202Ev\u202Doice\u2066\u2069\u200E\u200F\u202A\u202B\u202C\u2067\u2068 txt.pdf')}`,
      'invoice txt.pdf',
    ],
    ['nothing left after cleaning', `filename*=UTF-8''%E2%80%AE%E2%80%AE`, 'file'],
  ])('reads %s', async (_case, disposition, shown) => {
    const parsed = await parseRaw([
      { headers: [`Content-Disposition: form-data; name="files"; ${disposition}`], content: 'x' },
    ])
    if (!parsed.ok) throw new Error(parsed.error)
    expect(parsed.files.map((f) => f.filename)).toEqual([shown])
  })

  it.each([
    ['.', 'file'],
    ['..', 'file'],
    ['C:\\fakepath\\report.pdf', 'report.pdf'],
    ['folder/notes.txt', 'notes.txt'],
    ['../../etc/passwd', 'passwd'],
  ])('keeps a file named %j, as %j (never dropped without a word)', async (sent, shown) => {
    const parsed = await parseForm(multipart((form) => form.append('files', new File(['data'], sent))))
    if (!parsed.ok) throw new Error(parsed.error)
    expect(parsed.files.map((f) => f.filename)).toEqual([shown])
  })

  it('refuses an executable behind a path', async () => {
    const parsed = await parseForm(
      multipart((form) => form.append('files', new File(['MZ'], 'dir\\tool.exe'))),
    )
    expect(parsed).toMatchObject({ ok: false, error: 'tool.exe: executable files are not allowed' })
  })

  it('refuses an executable disguised by a right-to-left override, naming it as it will be shown', async () => {
    const parsed = await parseForm(
      multipart((form) => form.append('files', new File(['MZ'], 'holiday\u202Egpj.exe'))),
    )
    expect(parsed).toMatchObject({ ok: false, error: 'holidaygpj.exe: executable files are not allowed' })
  })

  it.each([
    'evil.exe.',
    'evil.exe ',
    'evil.exe. . ',
    'evil.exe::$DATA',
    'evil.exe:Zone.Identifier',
    'EVIL.PS1',
    'Setup.MsI',
  ])('refuses the executable %j', async (filename) => {
    const parsed = await parseForm(multipart((form) => form.append('files', new File(['MZ'], filename))))
    expect(parsed.ok).toBe(false)
    if (parsed.ok) return
    expect(parsed.error).toMatch(/: executable files are not allowed$/)
  })

  describe('a body that is not a readable form', () => {
    const body = { headers: ['Content-Disposition: form-data; name="body"'], content: 'typed text' }
    const fileOf = (bytes: number): RawPart => ({
      headers: [
        'Content-Disposition: form-data; name="files"; filename="a.bin"',
        'Content-Type: application/octet-stream',
      ],
      content: new Uint8Array(bytes).fill(97),
    })
    const cases: Array<[string, () => Request]> = [
      ['multipart without a boundary', () => raw(rawMultipart([body]), 'multipart/form-data')],
      ['multipart with an empty boundary', () => raw(rawMultipart([body]), 'multipart/form-data; boundary=')],
      [
        'a part without Content-Disposition',
        () => raw(rawMultipart([body, { headers: ['Content-Type: text/plain'], content: 'x' }])),
      ],
      [
        'a part whose disposition is not form-data',
        () =>
          raw(rawMultipart([{ headers: ['Content-Disposition: attachment; name="x"'], content: 'x' }, body])),
      ],
      [
        'a field without a name',
        () => raw(rawMultipart([{ headers: ['Content-Disposition: form-data'], content: 'x' }])),
      ],
      [
        'a file without a name',
        () =>
          raw(
            rawMultipart([{ headers: ['Content-Disposition: form-data; filename="a.txt"'], content: 'x' }]),
          ),
      ],
      [
        'an empty name',
        () => raw(rawMultipart([{ headers: ['Content-Disposition: form-data; name=""'], content: 'x' }])),
      ],
      [
        'an unterminated quoted name',
        () => raw(rawMultipart([{ headers: ['Content-Disposition: form-data; name="body'], content: 'x' }])),
      ],
      [
        'a header line without a colon',
        () => raw(rawMultipart([{ headers: [...body.headers, 'garbage'], content: 'x' }])),
      ],
      [
        'a header with a control character',
        () =>
          raw(
            rawMultipart([
              {
                headers: ['Content-Disposition: form-data; name="files"; filename="a\u0007.txt"'],
                content: 'x',
              },
            ]),
          ),
      ],
      ['no close delimiter', () => raw(rawMultipart([body], { close: false }))],
      ['a body cut inside a file', () => raw(rawMultipart([body, fileOf(100_000)]).subarray(0, 60_000))],
      ['an empty body', () => raw(new Uint8Array())],
      ['a body of JSON', () => raw(Buffer.from('{"body":"x"}'), 'application/json')],
      ['a body of plain text', () => raw(Buffer.from('body=x'), 'text/plain')],
      ['no content type at all', () => raw(rawMultipart([body]), null)],
      [
        'a client that goes away in the middle of a file',
        () => raw(failingStream(rawMultipart([body, fileOf(200_000)]).subarray(0, 150_000))),
      ],
    ]

    it.each(cases)('%s → "The upload could not be read"', async (_case, request) => {
      const parsed = await parseForm(request())
      expect(parsed).toMatchObject({ ok: false, error: UNREADABLE_UPLOAD })
      expect(temporaryFiles()).toEqual([])
    })

    it('keeps the fields read before the problem', async () => {
      const parsed = await parseForm(raw(rawMultipart([body, fileOf(10)], { close: false })))
      expect(parsed.formData.get('body')).toBe('typed text')
    })
  })

  describe('form shape (FORM_LIMITS of form-data.server.ts)', () => {
    it.each([
      ['201 fields', (form: FormData) => Array.from({ length: 201 }, (_, i) => form.append(`f${i}`, 'x'))],
      ['a huge array index', (form: FormData) => form.append('x[100000000]', '1')],
      ['deep nesting', (form: FormData) => form.append(`a${'[0]'.repeat(1000)}`, '1')],
      [
        'a file part with a deep name',
        (form: FormData) => form.append('a[0][0][0]', new File(['x'], 'a.txt')),
      ],
    ])('refuses %s with a small 400 before any form sees it', async (_case, build) => {
      const refused = await parseForm(multipart(build)).catch((thrown: unknown) => thrown)
      expect(refused).toBeInstanceOf(Response)
      const response = refused as Response
      expect(response.status).toBe(400)
      expect((await response.text()).length).toBeLessThan(200)
    })

    it('refuses the same shapes in a url-encoded body', async () => {
      const refused = await parseForm(
        new Request('http://localhost/upload', {
          method: 'POST',
          body: new URLSearchParams({ 'x[100000000]': '1' }),
        }),
      ).catch((thrown: unknown) => thrown)
      expect((refused as Response).status).toBe(400)
    })

    it('still takes the 200 fields the limit allows', async () => {
      const parsed = await parseForm(
        multipart((form) => Array.from({ length: 200 }, (_, i) => form.append(`f${i}`, 'x'))),
      )
      expect(parsed.ok && Array.from(parsed.formData.keys()).length).toBe(200)
    })
  })
})

// Larger than any body read whole: it streams in both cases.
describe('parseFormWithFiles, a body too large to read whole', () => {
  it('stops a file past 25 MB while it streams and leaves no temporary file', async () => {
    const megabyte = new Uint8Array(1024 * 1024).fill(97)
    const chunks = [
      Buffer.from(
        `--${RAW_BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\n\r\n`,
      ),
      ...Array.from({ length: 30 }, () => megabyte),
      Buffer.from(`\r\n--${RAW_BOUNDARY}--\r\n`),
    ]
    // Produced on demand, so the body is never in memory as a whole.
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift()
        if (next) controller.enqueue(next)
        else controller.close()
      },
    })
    const parsed = await parseFormWithFiles(raw(stream))
    expect(parsed).toMatchObject({ ok: false, error: 'Attachments are limited to 25 MB in total' })
    expect(temporaryFiles()).toEqual([])
    expect(storedFiles().filter((file) => fs.statSync(file).size > 25 * 1024 * 1024)).toEqual([])
  })
})

function raw(body: Uint8Array | ReadableStream<Uint8Array>, contentType?: string | null) {
  return rawMultipartRequest('http://localhost/upload', body, { contentType })
}

/**
 * Parses a request; with `announced`, a multipart one gets the Content-Length header a browser
 * sends (a body that fails while read is announced as whatever it delivered before failing, and
 * fails the same way).
 */
async function parseAnnounced(request: Request, announced: boolean): Promise<ParsedUpload> {
  const multipartBody = (request.headers.get('content-type') ?? '').startsWith('multipart/')
  if (announced && multipartBody && !request.headers.has('content-length')) {
    const length = await request
      .clone()
      .arrayBuffer()
      .then((body) => body.byteLength)
      .catch(() => 150_000)
    request.headers.set('content-length', String(length))
  }
  return parseFormWithFiles(request)
}

/** A body that sends `bytes` and then fails, as when the client disconnects. */
function failingStream(bytes: Uint8Array) {
  let sent = false
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) return controller.error(new Error('client went away'))
      sent = true
      controller.enqueue(bytes)
    },
  })
}

function temporaryFiles() {
  const tmp = path.join(filesDir(), 'tmp')
  return fs.existsSync(tmp) ? fs.readdirSync(tmp) : []
}

function storedFiles() {
  if (!fs.existsSync(filesDir())) return []
  return fs
    .readdirSync(filesDir(), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
}
