/**
 * The filename as we store and show it. Browsers escape `"`, CR and LF as %22, %0D and %0A inside
 * filename="…" (WHATWG HTML, multipart/form-data encoding) and nothing else, so those three are
 * decoded. Bidi overrides, isolates and marks are removed (they can make `exe.txt` read as
 * `txt.exe`), control characters and path separators become `_`. A name of dots only is `file`.
 */
export function displayFilename(raw: string) {
  const name = raw
    .replace(/%22/gi, '"')
    .replace(/%0d|%0a/gi, '_')
    .normalize('NFC')
    .replace(/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g, '')
    // eslint-disable-next-line no-control-regex -- control characters are what we replace
    .replace(/[\\/\u0000-\u001f\u007f-\u009f]/g, '_')
    .trim()
  // At most 200 characters, without splitting a surrogate pair; `.` and `..` name no file.
  const kept = Array.from(name).slice(0, 200).join('')
  return /^\.*$/.test(kept) ? 'file' : kept
}
