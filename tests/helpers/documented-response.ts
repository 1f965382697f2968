import { resolve, schemaErrors, type JsonSchema } from './json-schema.ts'

/**
 * Checks a real answer of /api/v1 against the OpenAPI document the server serves: its status is
 * one the operation lists, its media type is the response's, its body fits the response's schema,
 * every header the document marks required is there, and every header below that it sent is one
 * the response lists, with a value its schema takes. Returns what is wrong (empty: documented).
 */

/** Headers whose presence the document must state (the rest, e.g. Cache-Control, are not described). */
const TRACKED_HEADERS = [
  'location',
  'link',
  'retry-after',
  'idempotent-replayed',
  'www-authenticate',
  'x-request-id',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
]

type Answer = { status: number; headers: Headers; text: string }
type Doc = { paths: Record<string, Record<string, any>> }

export function undocumented(doc: Doc, method: string, pathTemplate: string, answer: Answer): string[] {
  const operation = doc.paths[pathTemplate]?.[method === 'HEAD' ? 'get' : method.toLowerCase()]
  if (!operation) return [`${method} ${pathTemplate} is not in the document`]
  const where = `${operation.operationId} ${answer.status}`
  const response = deref(doc, operation.responses?.[String(answer.status)])
  if (!response) return [`${where}: the status is not documented`]
  const problems: string[] = []
  const mediaType = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim()
  const content = response.content as Record<string, { schema: JsonSchema }> | undefined
  if (answer.text !== '') {
    const media = content?.[mediaType]
    if (!media) problems.push(`${where}: media type ${mediaType} is not documented`)
    else {
      const body = JSON.parse(answer.text) as unknown
      problems.push(...schemaErrors(media.schema, body, doc).map((e) => `${where} body ${e}`))
    }
  }
  const headers = Object.fromEntries(
    Object.entries((response.headers ?? {}) as Record<string, unknown>).map(([name, h]) => [
      name.toLowerCase(),
      deref(doc, h),
    ]),
  ) as Record<string, { required?: boolean; schema: JsonSchema }>
  for (const [name, header] of Object.entries(headers)) {
    if (header.required && !answer.headers.has(name))
      problems.push(`${where}: required header ${name} missing`)
  }
  for (const name of TRACKED_HEADERS) {
    const value = answer.headers.get(name)
    if (value === null) continue
    const header = headers[name]
    if (!header) {
      problems.push(`${where}: header ${name} is sent but not documented`)
      continue
    }
    problems.push(
      ...schemaErrors(header.schema, headerValue(header.schema, doc, value), doc).map(
        (e) => `${where} header ${name} ${e}`,
      ),
    )
  }
  return problems
}

function deref(doc: Doc, node: any): any {
  return node && typeof node.$ref === 'string' ? deref(doc, resolve(doc, node.$ref)) : node
}

/** A header's text as the JSON value its schema describes (a number for an integer header). */
function headerValue(schema: JsonSchema, doc: Doc, value: string): unknown {
  const s = deref(doc, schema) as { type?: string }
  if ((s.type === 'integer' || s.type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value)
  return value
}
