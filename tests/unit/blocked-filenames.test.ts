import { describe, expect, it } from 'vitest'
import { BLOCKED_EXTENSIONS, isBlockedFilename, isBlockedType } from '#app/utils/ticket-schemas.ts'

describe('isBlockedFilename', () => {
  it.each([
    'evil.exe',
    'evil.exe.',
    'evil.exe ',
    'evil.exe. . .',
    'evil.exe::$DATA',
    'evil.exe::$data',
    'evil.exe:Zone.Identifier',
    'EVIL.PS1',
    'Setup.MsI',
    'report.pdf.exe',
    '.exe',
  ])('refuses %j', (filename) => {
    expect(isBlockedFilename(filename)).toBe(true)
  })

  it.each(['chm', 'iso', 'msix', 'mjs', 'py', 'ps1', 'vbs', 'jar', 'scr', 'lnk'])(
    'refuses the issue’s .%s (and in capitals)',
    (extension) => {
      expect(isBlockedFilename(`file.${extension}`)).toBe(true)
      expect(isBlockedFilename(`FILE.${extension.toUpperCase()}`)).toBe(true)
    },
  )

  it('refuses every listed extension', () => {
    const allowed = Array.from(BLOCKED_EXTENSIONS).filter((extension) => !isBlockedFilename(`x.${extension}`))
    expect(allowed).toEqual([])
    expect(BLOCKED_EXTENSIONS.size).toBeGreaterThan(90)
  })

  it.each([
    'report.pdf',
    'photo.jpeg',
    'notes.txt',
    'exe',
    'archive.exe.zip',
    'my.exe.notes.txt',
    'data.json',
    'notes:v2.txt',
    'python-notes.pdf',
  ])('accepts %j', (filename) => {
    expect(isBlockedFilename(filename)).toBe(false)
  })
})

describe('isBlockedType', () => {
  it.each([
    'application/x-msdownload',
    'Application/X-MSDownload',
    'application/x-sh; charset=utf-8',
    'text/javascript',
    'application/java-archive',
    'application/x-apple-diskimage',
  ])('refuses %s', (type) => {
    expect(isBlockedType(type)).toBe(true)
  })

  it.each(['application/pdf', 'image/png', 'text/plain', 'application/octet-stream', '', null, undefined])(
    'allows %s',
    (type) => {
      expect(isBlockedType(type)).toBe(false)
    },
  )
})
