/** A file part for a multipart form post. */
export function file(name: string, content: string | Uint8Array<ArrayBuffer>, type = 'text/plain') {
  return new File([content], name, { type })
}

/** A multipart form as a browser without JavaScript posts it: fields, then each file as `files`. */
export function multipartForm(fields: Record<string, string>, files: File[] = []) {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  for (const f of files) form.append('files', f)
  return form
}
