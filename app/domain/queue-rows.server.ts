/** At most this many characters of the inbox row's preview line. */
const PREVIEW_CHARS = 160

/**
 * The first line of a message as one trimmed line of plain text: quoted lines (`>`) and blank
 * lines are passed over, runs of white space collapse, and it is cut at PREVIEW_CHARS.
 */
export function previewLine(body: string | null) {
  if (!body) return null
  // Line by line, stopping at the first that counts: bodies are up to 600 characters and the
  // first line is usually it (this runs for every row of every queue page).
  for (const raw of body.split('\n')) {
    const line = raw.replace(/\s+/g, ' ').trim()
    if (!line || line.startsWith('>')) continue
    return line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS - 1).trimEnd()}…` : line
  }
  return null
}
