import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseFormWithFiles } from '#app/http/uploads.server.ts'
import { pathFor } from '#app/integrations/storage.server.ts'

function multipart(build: (form: FormData) => void) {
  const form = new FormData()
  build(form)
  return new Request('http://localhost/upload', { method: 'POST', body: form })
}

describe('parseFormWithFiles', () => {
  it('stores files by content hash, skips an empty file input and keeps the text fields', async () => {
    const content = `hello ${Math.random()}`
    const parsed = await parseFormWithFiles(
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
    const parsed = await parseFormWithFiles(
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
    const parsed = await parseFormWithFiles(
      multipart((form) => {
        for (let i = 0; i < 11; i++) form.append('files', new File([`file ${i}`], `f${i}.txt`))
      }),
    )
    expect(parsed).toMatchObject({ ok: false, error: 'Attach at most 10 files' })
  })

  it('keeps a long message for the schema to judge, and refuses an absurd text field', async () => {
    const long = await parseFormWithFiles(multipart((form) => form.append('body', 'x'.repeat(150_000))))
    expect(long.ok && String(long.formData.get('body')).length).toBe(150_000)
    const absurd = await parseFormWithFiles(multipart((form) => form.append('body', 'x'.repeat(2_000_000))))
    expect(absurd).toMatchObject({ ok: false, error: 'The message is too long' })
  })

  it('reads a url-encoded form as it is', async () => {
    const parsed = await parseFormWithFiles(
      new Request('http://localhost/upload', {
        method: 'POST',
        body: new URLSearchParams({ body: 'plain' }),
      }),
    )
    expect(parsed.ok && parsed.formData.get('body')).toBe('plain')
  })
})
