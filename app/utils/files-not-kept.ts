/**
 * An inbound email's attachments that were not kept (app/domain/inbound-body.server.ts), as its
 * message stores them: each by name and why, and `more` not named (parts past the parser's 50).
 */
export type FilesNotKept = {
  files: Array<{ filename: string; reason: 'executable' | 'over-limit' }>
  more: number
}

const REASON = {
  executable: 'executable files are refused',
  'over-limit': 'over the limit of 10 files and 25 MB per email',
}

/**
 * What the thread says under the message: "2 attachments not kept: evil.exe (executable files are
 * refused), big.zip (over the limit of 10 files and 25 MB per email)".
 */
export function filesNotKeptText({ files, more }: FilesNotKept) {
  const total = files.length + more
  const named = files.map((f) => `${f.filename} (${REASON[f.reason]})`)
  if (more > 0) named.push(`${more} more not read (${REASON['over-limit']})`)
  return `${total} attachment${total === 1 ? '' : 's'} not kept: ${named.join(', ')}`
}
