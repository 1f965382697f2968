/** At most this many characters of the inbox row's preview line. */
const PREVIEW_CHARS = 160

/**
 * The first line of a message as one trimmed line of plain text: quoted lines (`>`) and blank
 * lines are passed over, runs of white space collapse, and it is cut at PREVIEW_CHARS.
 */
export function previewLine(body: string | null) {
  if (!body) return null
  const line = body
    .split(/\r?\n/)
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .find((l) => l && !l.startsWith('>'))
  if (!line) return null
  return line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS - 1).trimEnd()}…` : line
}
