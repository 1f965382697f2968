import { parseWithZod } from '@conform-to/zod/v4'
import { z } from 'zod'
import type { $ZodType } from 'zod/v4/core'
import { withLfLineBreaks } from '#app/utils/line-breaks.ts'

/**
 * The edge every page action reads its body through. Conform turns a field name such as
 * `x[100000000]` or `a[0][0][0]…` into a nested, sparse structure and `submission.reply()`
 * echoes it back, so a 30-byte post could answer 30 MB (or exhaust the heap). Our forms are
 * flat: repeated names (`ticketIds` × 100 for a bulk change) and Conform's `__intent__`, so
 * these limits are far above anything a real form sends and far below anything that hurts.
 */
export const FORM_LIMITS = {
  /** Fields (text and files) in one post. A bulk change of 100 tickets sends about 105. */
  maxFields: 200,
  /** `.` and `[…]` segments in one name. Our names have none; Conform's own syntax needs few. */
  maxDepth: 2,
  /** Largest array index in a name (`x[100]`). */
  maxIndex: 100,
  /** Characters in one field name. */
  maxNameLength: 100,
} as const

export type FormShapeProblem = { field: string; reason: string }

/**
 * Checks one field name on the raw string, without building anything: its length, how deep it
 * nests and how large its array indices are. Returns why it is refused, or null.
 */
export function checkFieldName(name: string): string | null {
  if (name.length > FORM_LIMITS.maxNameLength) return 'name too long'
  let depth = 0
  for (let i = 0; i < name.length; i++) {
    const char = name.charCodeAt(i)
    if (char === 0x2e /* . */) depth++
    else if (char === 0x5b /* [ */) {
      depth++
      // An index is at most three digits, so this inner loop is bounded.
      let digits = 0
      let index = 0
      while (i + 1 < name.length && name.charCodeAt(i + 1) >= 0x30 && name.charCodeAt(i + 1) <= 0x39) {
        i++
        digits++
        if (digits > 3) return 'array index too large'
        index = index * 10 + (name.charCodeAt(i) - 0x30)
      }
      if (index > FORM_LIMITS.maxIndex) return 'array index too large'
    }
    if (depth > FORM_LIMITS.maxDepth) return 'nested too deeply'
  }
  return null
}

/**
 * Checks a form's field names against FORM_LIMITS, stopping at the first problem (so a huge
 * form costs at most maxFields + 1 steps). Pure: the multipart parser calls it too.
 */
export function checkFormShape(entries: Iterable<readonly [string, unknown]>): FormShapeProblem | null {
  let count = 0
  for (const [name] of entries) {
    count++
    if (count > FORM_LIMITS.maxFields)
      return { field: '', reason: `more than ${FORM_LIMITS.maxFields} fields` }
    const reason = checkFieldName(name)
    if (reason) return { field: name.slice(0, FORM_LIMITS.maxNameLength), reason }
  }
  return null
}

/** A small, constant answer: it never repeats what was posted. */
function refuse(status: 400 | 413 | 415, message: string): Response {
  return new Response(message, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } })
}

export const FORM_REFUSED_MESSAGE = 'The form could not be read. Reload the page and try again.'
/** Also the 1 MB limit's (body-too-large.server.ts). Not "reload": that loses what was typed. */
export const FORM_TOO_LARGE_MESSAGE =
  'The form is too large to send. Go back, shorten what you typed and try again.'

/**
 * The body limit of forms with only short fields (sign-in, signup, password reset, an invitation):
 * a password is at most 256 characters and a redirect target 2,000, so 16 KB leaves room for any
 * encoding of them. Refused on the announced length before a byte is read: a 1 MB body cost
 * ~15 ms of CPU in copies and parses (the request's clone, the text, the pairs, Conform, then
 * remix-auth's own parse for the sign-in).
 */
export const SHORT_FORM_BYTES = 16 * 1024
export const UNSUPPORTED_BODY_MESSAGE =
  'Send this form as application/x-www-form-urlencoded or multipart/form-data.'

/** Is the content type one a browser form sends? */
export function formContentType(request: Request): 'urlencoded' | 'multipart' | null {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (type === 'application/x-www-form-urlencoded') return 'urlencoded'
  if (type === 'multipart/form-data') return 'multipart'
  return null
}

/** Counts `&`-separated, non-empty pairs, stopping once past the limit (no array is built). */
export function tooManyPairs(body: string) {
  let count = 0
  let start = 0
  while (start <= body.length) {
    let end = body.indexOf('&', start)
    if (end === -1) end = body.length
    if (end > start && ++count > FORM_LIMITS.maxFields) return true
    start = end + 1
  }
  return false
}

/**
 * Reads a page action's form body. Throws a small 415 Response for anything but a browser form
 * (JSON, text, no content type) and a small 400 Response for a form with more fields, deeper
 * names or larger indices than FORM_LIMITS, before Conform sees it. Url-encoded bodies are
 * counted on the raw text before they are decoded. The body size is already capped by
 * `bodyLimit` (1 MB for forms without files); `maxBytes` (SHORT_FORM_BYTES) refuses a larger
 * announced body with a small 413 before reading it.
 *
 * Login passes `request.clone()`: remix-auth's FormStrategy reads the body again.
 */
export async function readForm(
  request: Request,
  { maxBytes }: { maxBytes?: number } = {},
): Promise<FormData> {
  const type = formContentType(request)
  if (!type) throw refuse(415, UNSUPPORTED_BODY_MESSAGE)
  // bodyLimit has made sure a body announces its length (a chunked one is a 411).
  if (maxBytes !== undefined && Number(request.headers.get('content-length') ?? 0) > maxBytes) {
    throw refuse(413, FORM_TOO_LARGE_MESSAGE)
  }
  let formData: FormData
  if (type === 'urlencoded') {
    const body = await request.text()
    if (tooManyPairs(body)) throw refuse(400, FORM_REFUSED_MESSAGE)
    formData = new FormData()
    for (const [name, value] of new URLSearchParams(body)) formData.append(name, value)
  } else {
    try {
      formData = await request.formData()
    } catch {
      // No boundary, a truncated body…: not a form we can read.
      throw refuse(400, FORM_REFUSED_MESSAGE)
    }
  }
  assertFormShape(formData)
  return formData
}

/** The 400 of readForm, for parsers of our own that find a form over FORM_LIMITS. */
export function formRefused(): Response {
  return refuse(400, FORM_REFUSED_MESSAGE)
}

/** Throws the 400 of readForm when a parsed form breaks FORM_LIMITS (for parsers of our own). */
export function assertFormShape(formData: FormData) {
  if (checkFormShape(formData.entries())) throw refuse(400, FORM_REFUSED_MESSAGE)
}

// Conform's own field, carrying a button's intent (validate, reset…).
const CONFORM_INTENT = '__intent__'

type SchemaDef = {
  type: string
  shape?: Record<string, unknown>
  options?: $ZodType[]
  in?: $ZodType
  innerType?: $ZodType
  left?: $ZodType
  right?: $ZodType
}

/** The top-level field names a form schema knows (objects, unions of objects and wrappers). */
function knownFields(schema: $ZodType, into = new Set<string>([CONFORM_INTENT])): Set<string> {
  const def = schema._zod.def as unknown as SchemaDef
  if (def.type === 'object' && def.shape) for (const key of Object.keys(def.shape)) into.add(key)
  else if (def.type === 'union' && def.options) for (const option of def.options) knownFields(option, into)
  else if (def.type === 'pipe' && def.in) knownFields(def.in, into)
  else if (def.type === 'intersection' && def.left && def.right) {
    knownFields(def.left, into)
    knownFields(def.right, into)
  } else if (def.innerType) knownFields(def.innerType, into)
  else throw new Error(`parseSubmission: cannot list the fields of a ${def.type} schema`)
  return into
}

const fieldsBySchema = new WeakMap<$ZodType, Set<string>>()

/** The name's first segment: `tags[0]` and `address.city` belong to `tags` and `address`. */
function rootOf(name: string) {
  const end = name.search(/[.[]/)
  return end === -1 ? name : name.slice(0, end)
}

/** The hidden field a page with several forms posts to say which one (and which button) it is. */
const INTENT = 'intent'

export const NUL_MESSAGE =
  'This field contained an invisible NUL character; we removed it. Check it and send again.'

/**
 * What a form hears when its `intent` (the hidden field naming which button was pressed) is
 * missing or one the route does not know: a hand-edited or stale page. No control sent a wrong
 * value the person could fix, so it is the form's error, not a field's.
 */
export const UNKNOWN_INTENT_MESSAGE =
  "This page couldn't tell what you asked for, and nothing was changed. Reload the page and try again."

/**
 * `parseWithZod` for a form read by readForm: fields the schema does not know are dropped (so
 * `submission.reply()` never echoes them), and a text field containing NUL (which PostgreSQL
 * refuses in text) gets a field error, with its value kept minus the NUL characters. An error
 * on `intent` (no form shows that hidden field) becomes the form-level UNKNOWN_INTENT_MESSAGE.
 * Line breaks are read as `\n`: a browser posts a textarea's as CRLF (HTML's form submission
 * normalizes them), so a multi-line field posted unchanged equals what is stored and what its
 * form's `base` holds (parseDrawnBase reads those the same way), and CRLF is never stored.
 */
export function parseSubmission<Schema extends $ZodType>(formData: FormData, options: { schema: Schema }) {
  let known = fieldsBySchema.get(options.schema)
  if (!known) fieldsBySchema.set(options.schema, (known = knownFields(options.schema)))
  const cleaned = new FormData()
  const withNul = new Set<string>()
  for (const [name, raw] of formData) {
    if (!known.has(rootOf(name))) continue
    const value = typeof raw === 'string' ? withLfLineBreaks(raw) : raw
    if (typeof value === 'string' && value.includes('\u0000')) {
      withNul.add(name)
      cleaned.append(name, value.replaceAll('\u0000', ''))
    } else cleaned.append(name, value)
  }
  const submission = parseWithZod(cleaned, { schema: options.schema })
  const schemaErrors: Record<string, string[] | null> =
    submission.status === 'error' ? (submission.error ?? {}) : {}
  const unknownIntent = Boolean(schemaErrors[INTENT]?.length)
  if (withNul.size === 0 && !unknownIntent) return submission
  // Same payload, the schema's own errors plus one per NUL field: a failed submission.
  const errors: Array<[string | null, string]> = []
  if (unknownIntent) errors.push([null, UNKNOWN_INTENT_MESSAGE])
  for (const [field, messages] of Object.entries(schemaErrors)) {
    if (withNul.has(field) || field === INTENT) continue
    for (const message of messages ?? []) errors.push([field, message])
  }
  for (const field of withNul) errors.push([field, NUL_MESSAGE])
  const failing = z.unknown().superRefine((_value, ctx) => {
    for (const [field, message] of errors) {
      ctx.addIssue({ code: 'custom', path: field === null ? [] : [field], message })
    }
  })
  return parseWithZod(cleaned, {
    schema: failing as unknown as Schema,
    disableAutoCoercion: true,
  })
}

/**
 * A request's query string with NUL characters removed from every name and value: loaders pass
 * search terms and filters to SQL, and PostgreSQL refuses NUL in text.
 */
export function searchParamsOf(request: Request): URLSearchParams {
  const params = new URL(request.url).searchParams
  const cleaned = new URLSearchParams()
  for (const [name, value] of params)
    cleaned.append(name.replaceAll('\u0000', ''), value.replaceAll('\u0000', ''))
  return cleaned
}
