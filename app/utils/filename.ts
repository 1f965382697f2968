import { sliceWhole } from './well-formed.ts'

/** The longest filename we store (UTF-16 units). */
export const MAX_FILENAME_CHARS = 200
/** An extension kept whole when a long name is cut: a dot and up to 16 characters, no space. */
const EXTENSION = /\.[^.\s]{1,16}$/u

/**
 * The filename as we store and show it. Browsers escape `"`, CR and LF as %22, %0D and %0A inside
 * filename="…" (WHATWG HTML, multipart/form-data encoding) and nothing else, so those three are
 * decoded. Bidi overrides, isolates and marks are removed (they can make `exe.txt` read as
 * `txt.exe`), control characters and path separators become `_`. A name longer than
 * MAX_FILENAME_CHARS loses the end of its stem, never its extension (`….xlsx` stays a
 * spreadsheet) nor half of a surrogate pair. A part without a name, or a name of dots only, is
 * named for its content type (unnamedFilename: an invitation is `invite.ics`).
 */
export function displayFilename(raw: string, contentType?: string) {
  const name = raw
    .replace(/%22/gi, '"')
    .replace(/%0d|%0a/gi, '_')
    .normalize('NFC')
    .replace(/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g, '')
    // eslint-disable-next-line no-control-regex -- control characters are what we replace
    .replace(/[\\/\u0000-\u001f\u007f-\u009f]/g, '_')
    .trim()
  // `.` and `..` name no file.
  if (/^\.*$/.test(name)) return contentType === undefined ? 'file' : unnamedFilename(contentType)
  if (name.length <= MAX_FILENAME_CHARS) return name
  const extension = EXTENSION.exec(name)?.[0] ?? ''
  const stem = name.slice(0, name.length - extension.length)
  return sliceWhole(stem, MAX_FILENAME_CHARS - extension.length).trimEnd() + extension
}

/** Names for parts that come without one, by content type: what a mail program would save them as. */
const NAMES_BY_TYPE: Readonly<Record<string, string>> = {
  'text/calendar': 'invite.ics',
  'application/ics': 'invite.ics',
  'text/vcard': 'contact.vcf',
  'text/x-vcard': 'contact.vcf',
  'text/plain': 'attachment.txt',
  'text/html': 'attachment.html',
  'text/csv': 'attachment.csv',
  'text/markdown': 'attachment.md',
  'message/rfc822': 'message.eml',
  'message/global': 'message.eml',
  'message/delivery-status': 'delivery-status.txt',
  'message/global-delivery-status': 'delivery-status.txt',
  'message/disposition-notification': 'disposition-notification.txt',
  'text/rfc822-headers': 'headers.txt',
  'image/png': 'image.png',
  'image/jpeg': 'image.jpg',
  'image/gif': 'image.gif',
  'image/webp': 'image.webp',
  'image/heic': 'image.heic',
  'image/svg+xml': 'image.svg',
  'image/tiff': 'image.tif',
  'image/bmp': 'image.bmp',
  'audio/mpeg': 'audio.mp3',
  'audio/wav': 'audio.wav',
  'video/mp4': 'video.mp4',
  'application/pdf': 'document.pdf',
  'application/json': 'attachment.json',
  'application/xml': 'attachment.xml',
  'text/xml': 'attachment.xml',
  'application/zip': 'attachment.zip',
  'application/gzip': 'attachment.gz',
  'application/msword': 'document.doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'document.docx',
  'application/vnd.ms-excel': 'spreadsheet.xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'spreadsheet.xlsx',
  'application/vnd.ms-powerpoint': 'presentation.ppt',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'presentation.pptx',
  'application/vnd.oasis.opendocument.text': 'document.odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'spreadsheet.ods',
  'application/pgp-signature': 'signature.asc',
  'application/pkcs7-signature': 'smime.p7s',
  'application/x-pkcs7-signature': 'smime.p7s',
}

/**
 * The name of a part that came without one (a calendar invitation, a forwarded message, an
 * inline image), from its content type (parameters ignored); `attachment` for a type not listed.
 * Never a blocked extension: the table holds none.
 */
export function unnamedFilename(contentType: string) {
  const type = contentType.split(';')[0]!.trim().toLowerCase()
  return NAMES_BY_TYPE[type] ?? 'attachment'
}
