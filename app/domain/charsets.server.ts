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

/**
 * A part labelled UTF-8 whose bytes are not UTF-8 is nearly always windows-1252 (a mailer that
 * labels everything UTF-8, or text pasted from Word): decoded as UTF-8 each such byte became
 * U+FFFD ("the �Export� button says �0"), and the text was lost. Mail clients read it as
 * windows-1252, and so do we. Valid UTF-8 is decoded as before.
 */
const utf8OrWindows1252: Decoder = {
  decode: (input?: AllowSharedBufferSource) => {
    try {
      return strictUtf8.decode(input)
    } catch {
      return windows1252.decode(input)
    }
  },
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
