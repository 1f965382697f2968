import { describe, expect, it } from 'vitest'
import { displayFilename, MAX_FILENAME_CHARS, unnamedFilename } from '#app/utils/filename.ts'

describe('displayFilename', () => {
  it('cuts a long name in its stem and keeps its extension', () => {
    const raw = `Quarterly-report-${'Q3-2024-consolidated-figures-'.repeat(7)}final.xlsx`
    expect(raw.length).toBeGreaterThan(MAX_FILENAME_CHARS)
    const kept = displayFilename(raw)
    expect(kept).toHaveLength(MAX_FILENAME_CHARS)
    expect(kept.endsWith('.xlsx')).toBe(true)
    expect(kept.startsWith('Quarterly-report-Q3-2024')).toBe(true)
  })

  it('never cuts inside a surrogate pair', () => {
    const kept = displayFilename(`${'a'.repeat(194)}😀😀😀.pdf`)
    // 194 + one emoji (2 units) + .pdf = 200; the next emoji would have been split.
    expect(kept).toBe(`${'a'.repeat(194)}😀.pdf`)
    expect(kept).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/)
  })

  it('cuts a long name without an extension to the limit, and leaves short names alone', () => {
    expect(displayFilename('x'.repeat(250))).toBe('x'.repeat(MAX_FILENAME_CHARS))
    // A "extension" with a space or longer than 16 characters is part of the stem.
    expect(displayFilename(`${'y'.repeat(220)}.not an extension`)).toBe('y'.repeat(MAX_FILENAME_CHARS))
    expect(displayFilename('Résumé "final".pdf')).toBe('Résumé "final".pdf')
  })

  it('names a part without a name for its content type, and an upload of dots only "file"', () => {
    expect(displayFilename('', 'text/calendar; method=REQUEST; charset=utf-8')).toBe('invite.ics')
    expect(displayFilename('', 'image/png')).toBe('image.png')
    expect(displayFilename('..', 'application/pdf')).toBe('document.pdf')
    expect(displayFilename('', 'application/x-unknown')).toBe('attachment')
    expect(displayFilename('..')).toBe('file')
  })
})

describe('unnamedFilename', () => {
  it('infers an extension from the content type, ignoring parameters and case', () => {
    expect(unnamedFilename('TEXT/CALENDAR; method=REQUEST')).toBe('invite.ics')
    expect(unnamedFilename('message/rfc822')).toBe('message.eml')
    expect(unnamedFilename('message/delivery-status')).toBe('delivery-status.txt')
    expect(unnamedFilename('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')).toBe(
      'spreadsheet.xlsx',
    )
    expect(unnamedFilename('application/octet-stream')).toBe('attachment')
  })
})
