import iconv from 'iconv-lite'
import { setCharsetFallback, setCharsetOverride } from 'postal-mime'

/**
 * Charsets mail still arrives in that TextDecoder (the WHATWG Encoding Standard) has no decoder
 * for: UTF-7 (RFC 2152: older Outlook and Exchange, some webmail), UTF-32, and the DOS and Mac code
 * pages (cp437, cp850, macintosh…). Without this their text was stored as the bytes read in
 * windows-1252 or UTF-8 ("Hi +AOk-" for "Hi é"). iconv-lite knows them all.
 *
 * One rule for both Inbound Parse modes: postal-mime (raw mode, and every mode's header block) asks
 * `legacyDecoder` for a label neither TextDecoder nor its alias table knows, and the parsed mode's
 * fields come through `decodeCharset`.
 */

/** iconv-lite's conversions that are not charsets: a part labelled so is text, not base64 or hex. */
const NOT_CHARSETS = new Set(['base64', 'base64url', 'hex'])

type Decoder = Pick<TextDecoder, 'decode'>

export function legacyDecoder(label: string): Decoder | null {
  const name = label.toLowerCase().replace(/[^0-9a-z]/g, '')
  if (NOT_CHARSETS.has(name) || !iconv.encodingExists(name)) return null
  return {
    decode: (input?: AllowSharedBufferSource) => iconv.decode(asBuffer(input), name),
  }
}

function asBuffer(input: AllowSharedBufferSource | undefined) {
  if (input === undefined) return Buffer.alloc(0)
  if (ArrayBuffer.isView(input)) return Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  return Buffer.from(input)
}

/** The WHATWG Encoding Standard's labels of UTF-8. */
const UTF8_LABELS = new Set([
  'utf-8',
  'utf8',
  'unicode-1-1-utf-8',
  'unicode11utf8',
  'unicode20utf8',
  'x-unicode20utf8',
])
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })
const windows1252 = new TextDecoder('windows-1252')
/** For runs inside a part: a U+FEFF there is text, not a byte-order mark. */
const utf8NoBom = new TextDecoder('utf-8', { ignoreBOM: true })

/**
 * A part labelled UTF-8 whose bytes are not UTF-8 is nearly always windows-1252 (a mailer that
 * labels everything UTF-8, or text pasted from Word): decoded as UTF-8 each such byte became
 * U+FFFD ("the �Export� button says �0"), and the text was lost. Mail clients read it as
 * windows-1252, and so do we. Valid UTF-8 is decoded as before. A part that mixes both (a reply
 * typed in UTF-8 above a quote pasted from Word, or a mailer that wrote one field in each) is read
 * sequence by sequence (mixedUtf8): each well-formed UTF-8 sequence as UTF-8, each other byte as
 * windows-1252. Reading the whole part as windows-1252 made its UTF-8 mojibake ("cafÃ©").
 */
const utf8OrWindows1252: Decoder = {
  decode: (input?: AllowSharedBufferSource) => {
    try {
      return strictUtf8.decode(input)
    } catch {
      return mixedUtf8(asBuffer(input))
    }
  },
}

/**
 * The length of the well-formed UTF-8 sequence at `i` (Unicode's table 3-7: no overlong forms,
 * no surrogates, nothing past U+10FFFF), or 0 when the byte there begins none.
 */
function utf8SequenceAt(bytes: Uint8Array, i: number) {
  const b = bytes[i]!
  if (b < 0x80) return 1
  const next = (k: number, low = 0x80, high = 0xbf) => {
    const c = bytes[i + k]
    return c !== undefined && c >= low && c <= high
  }
  if (b >= 0xc2 && b <= 0xdf) return next(1) ? 2 : 0
  if (b >= 0xe0 && b <= 0xef) {
    const low = b === 0xe0 ? 0xa0 : 0x80
    const high = b === 0xed ? 0x9f : 0xbf
    return next(1, low, high) && next(2) ? 3 : 0
  }
  if (b >= 0xf0 && b <= 0xf4) {
    const low = b === 0xf0 ? 0x90 : 0x80
    const high = b === 0xf4 ? 0x8f : 0xbf
    return next(1, low, high) && next(2) && next(3) ? 4 : 0
  }
  return 0
}

/**
 * Bytes labelled UTF-8 that are not all UTF-8: runs of well-formed UTF-8 decoded as UTF-8, every
 * byte outside them as windows-1252 (a leading byte-order mark dropped, as TextDecoder drops it).
 */
export function mixedUtf8(bytes: Uint8Array) {
  const parts: string[] = []
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  let i = start
  while (i < bytes.length) {
    const length = utf8SequenceAt(bytes, i)
    if (length > 0) {
      i += length
      continue
    }
    if (i > start) parts.push(utf8NoBom.decode(bytes.subarray(start, i)))
    parts.push(windows1252.decode(bytes.subarray(i, i + 1)))
    i += 1
    start = i
  }
  if (i > start) parts.push(utf8NoBom.decode(bytes.subarray(start, i)))
  return parts.join('')
}

setCharsetFallback(legacyDecoder)
// postal-mime (raw mode, and every mode's header block and encoded words) asks this first.
setCharsetOverride((label) => (UTF8_LABELS.has(label) ? utf8OrWindows1252 : null))

const utf8 = new TextDecoder('utf-8')

/**
 * Decodes bytes in a charset SendGrid named (ISO-8859-1, Shift_JIS, UTF-7…); a label nothing knows
 * falls back to UTF-8. UTF-8 that is not valid UTF-8 is read as windows-1252 (utf8OrWindows1252).
 */
export function decodeCharset(bytes: Buffer, charset: string | undefined) {
  const label = (charset ?? 'utf-8').trim().toLowerCase() || 'utf-8'
  if (UTF8_LABELS.has(label)) return utf8OrWindows1252.decode(bytes)
  try {
    return new TextDecoder(label).decode(bytes)
  } catch {
    return (legacyDecoder(label) ?? utf8).decode(bytes)
  }
}
