import iconv from 'iconv-lite'
import PostalMime from 'postal-mime'
import { describe, expect, it } from 'vitest'
import { decodeCharset, mixedUtf8 } from '#app/domain/charsets.server.ts'

// A part labelled UTF-8 that mixes UTF-8 and windows-1252 bytes: each well-formed UTF-8 sequence
// is read as UTF-8, each other byte as windows-1252. Before, one bad byte made the whole part
// windows-1252, and its UTF-8 came out as mojibake ("cafÃ©").
const utf8 = (text: string) => Buffer.from(text, 'utf8')
const cp1252 = (text: string) => iconv.encode(text, 'windows-1252')

/** "café – naïve €": café and € in UTF-8, the dash and naïve in windows-1252. */
const MIXED = Buffer.concat([utf8('café '), cp1252('– naïve '), utf8('€')])
const TEXT = 'café – naïve €'

describe('UTF-8 mixed with windows-1252, labelled UTF-8', () => {
  it('reads each sequence in the charset it is in', () => {
    expect(mixedUtf8(MIXED)).toBe(TEXT)
    expect(decodeCharset(MIXED, 'utf-8')).toBe(TEXT)
    expect(decodeCharset(MIXED, ' UTF8 ')).toBe(TEXT)
  })

  it('reads windows-1252 bytes that look like the start of a UTF-8 sequence as windows-1252', () => {
    // "Â" and "à" are lead bytes (0xC2, 0xE0) followed by what is not a continuation byte; an
    // overlong form (0xC0 0xAF), a surrogate (0xED 0xA0 0x80) and a 4-byte form past U+10FFFF
    // (0xF4 0x90) are not UTF-8 either.
    const bytes = Buffer.concat([
      cp1252('Â à '),
      utf8('ü '),
      Buffer.from([0xc0, 0xaf, 0x20, 0xed, 0xa0, 0x80, 0x20, 0xf4, 0x90, 0x80, 0x80]),
      utf8(' 🙂'),
      cp1252(' “x”'),
    ])
    expect(decodeCharset(bytes, 'utf-8')).toBe('Â à ü À¯ í\u00a0€ ô\u0090€€ 🙂 “x”')
  })

  it('cuts no sequence at the end of the part, and drops a leading byte-order mark only', () => {
    expect(decodeCharset(Buffer.concat([cp1252('é'), utf8('é')]), 'utf-8')).toBe('éé')
    expect(decodeCharset(Buffer.concat([utf8('é'), Buffer.from([0xc3])]), 'utf-8')).toBe('éÃ')
    expect(decodeCharset(Buffer.concat([utf8('\ufeffa\ufeff'), cp1252('é')]), 'utf-8')).toBe('a\ufeffé')
  })

  it('leaves valid UTF-8 and other charsets as they were', () => {
    expect(decodeCharset(utf8('café – naïve € 🙂 \ufffd'), 'utf-8')).toBe('café – naïve € 🙂 \ufffd')
    expect(decodeCharset(cp1252(TEXT), 'windows-1252')).toBe(TEXT)
    expect(decodeCharset(cp1252(TEXT), 'utf-8')).toBe(TEXT)
  })

  it('in a raw email: the body, a quoted-printable part and the subject', async () => {
    const qp = (bytes: Buffer) =>
      [...bytes]
        .map((b) => (b >= 0x80 || b === 0x3d ? `=${b.toString(16).toUpperCase()}` : String.fromCharCode(b)))
        .join('')
    const raw = Buffer.concat([
      Buffer.from('From: a@example.org\r\nSubject: '),
      MIXED,
      Buffer.from(
        '\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b"\r\n\r\n' +
          '--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n',
      ),
      MIXED,
      Buffer.from(
        '\r\n--b\r\nContent-Type: text/html; charset="UTF-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' +
          `<p>${qp(MIXED)}</p>\r\n--b--\r\n`,
      ),
    ])
    const parsed = await PostalMime.parse(raw)
    expect(parsed.subject).toBe(TEXT)
    expect(parsed.text?.trim()).toBe(TEXT)
    expect(parsed.html?.trim()).toBe(`<p>${TEXT}</p>`)
  })
})
