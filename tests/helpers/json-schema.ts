/**
 * A JSON Schema (2020-12) validator for the subset the OpenAPI document of /api/v1 uses, so
 * tests can check real answers against the served document without a dependency (the top-level
 * `ajv` is eslint's 6.x, without 2020-12). A keyword it does not know is an error, never ignored:
 * a schema the document starts to write differently fails loudly instead of passing unchecked.
 */

export type JsonSchema = boolean | { [keyword: string]: unknown }

/** Keywords that describe and never constrain. */
const ANNOTATIONS = new Set([
  'description',
  'title',
  'example',
  'examples',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$schema',
  '$comment',
  'id',
])

const CHECKS = new Set([
  '$ref',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'allOf',
  'format',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'maxProperties',
])

const FORMATS: Record<string, (value: string) => boolean> = {
  // RFC 3339: a date, T, a time with seconds, an optional fraction, Z or an offset.
  'date-time': (v) =>
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(v) && !Number.isNaN(Date.parse(v)),
  uuid: (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  email: (v) => /^[^\s@]+@[^\s@]+$/.test(v),
}

/**
 * The ways `value` fails `schema`, each as "<path>: <what>" (empty when it conforms). `root` is
 * the document `$ref`s point into (`#/components/schemas/…`).
 */
export function schemaErrors(schema: JsonSchema, value: unknown, root: unknown = schema, at = '$'): string[] {
  if (schema === true) return []
  if (schema === false) return [`${at}: not allowed`]
  for (const keyword of Object.keys(schema)) {
    if (!ANNOTATIONS.has(keyword) && !CHECKS.has(keyword)) {
      throw new Error(`${at}: the validator does not know the keyword "${keyword}"`)
    }
  }
  const errors: string[] = []
  const s = schema as Record<string, any>
  if (typeof s.$ref === 'string') errors.push(...schemaErrors(resolve(root, s.$ref), value, root, at))
  if (s.type !== undefined) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type]
    if (!types.some((type) => isType(value, type))) {
      errors.push(`${at}: expected ${types.join(' or ')}, got ${JSON.stringify(value)}`)
      return errors
    }
  }
  if (s.enum !== undefined && !(s.enum as unknown[]).some((option) => deepEqual(option, value))) {
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`)
  }
  if ('const' in s && !deepEqual(s.const, value)) {
    errors.push(`${at}: expected ${JSON.stringify(s.const)}, got ${JSON.stringify(value)}`)
  }
  if (s.allOf) for (const part of s.allOf as JsonSchema[]) errors.push(...schemaErrors(part, value, root, at))
  if (s.anyOf) {
    const failures = (s.anyOf as JsonSchema[]).map((part) => schemaErrors(part, value, root, at))
    if (!failures.some((f) => f.length === 0)) {
      errors.push(`${at}: matches none of anyOf (${failures.map((f) => f.join('; ')).join(' | ')})`)
    }
  }
  if (s.oneOf) {
    const matching = (s.oneOf as JsonSchema[]).filter(
      (part) => schemaErrors(part, value, root, at).length === 0,
    )
    if (matching.length !== 1) errors.push(`${at}: matches ${matching.length} of oneOf, not exactly 1`)
  }
  if (typeof value === 'string') errors.push(...stringErrors(s, value, at))
  if (typeof value === 'number') {
    if (s.minimum !== undefined && value < s.minimum) errors.push(`${at}: ${value} < minimum ${s.minimum}`)
    if (s.maximum !== undefined && value > s.maximum) errors.push(`${at}: ${value} > maximum ${s.maximum}`)
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems)
      errors.push(`${at}: fewer than ${s.minItems} items`)
    if (s.maxItems !== undefined && value.length > s.maxItems)
      errors.push(`${at}: more than ${s.maxItems} items`)
    if (s.items !== undefined) {
      value.forEach((item, i) => errors.push(...schemaErrors(s.items, item, root, `${at}[${i}]`)))
    }
  }
  if (isType(value, 'object')) errors.push(...objectErrors(s, value as Record<string, unknown>, root, at))
  return errors
}

function stringErrors(s: Record<string, any>, value: string, at: string) {
  const errors: string[] = []
  // JSON Schema counts characters (code points), not UTF-16 units.
  const length = [...value].length
  if (s.minLength !== undefined && length < s.minLength) errors.push(`${at}: shorter than ${s.minLength}`)
  if (s.maxLength !== undefined && length > s.maxLength) errors.push(`${at}: longer than ${s.maxLength}`)
  if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(value)) {
    errors.push(`${at}: ${JSON.stringify(value)} does not match ${s.pattern}`)
  }
  if (s.format !== undefined) {
    const check = FORMATS[s.format as string]
    if (!check) throw new Error(`${at}: the validator does not know the format "${s.format}"`)
    if (!check(value)) errors.push(`${at}: ${JSON.stringify(value)} is not a ${s.format}`)
  }
  return errors
}

function objectErrors(s: Record<string, any>, value: Record<string, unknown>, root: unknown, at: string) {
  const errors: string[] = []
  const properties = (s.properties ?? {}) as Record<string, JsonSchema>
  for (const name of (s.required ?? []) as string[]) {
    if (!(name in value)) errors.push(`${at}: missing required ${name}`)
  }
  if (s.maxProperties !== undefined && Object.keys(value).length > s.maxProperties) {
    errors.push(`${at}: more than ${s.maxProperties} members`)
  }
  for (const [name, member] of Object.entries(value)) {
    const where = `${at}.${name}`
    if (name in properties) errors.push(...schemaErrors(properties[name]!, member, root, where))
    else if (s.additionalProperties !== undefined) {
      errors.push(
        ...schemaErrors(s.additionalProperties, member, root, where).map((e) => `${e} (additional)`),
      )
    }
  }
  return errors
}

function isType(value: unknown, type: string) {
  switch (type) {
    case 'null':
      return value === null
    case 'boolean':
      return typeof value === 'boolean'
    case 'string':
      return typeof value === 'string'
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
    case 'integer':
      return Number.isInteger(value)
    case 'array':
      return Array.isArray(value)
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value)
    default:
      throw new Error(`unknown type "${type}"`)
  }
}

/** A local reference (`#/a/b`, JSON Pointer escapes included) into `root`. */
export function resolve(root: unknown, ref: string): JsonSchema {
  if (!ref.startsWith('#')) throw new Error(`only local references are supported: ${ref}`)
  let node = root as any
  for (const part of ref.slice(1).split('/').slice(1)) {
    node = node?.[decodeURIComponent(part).replaceAll('~1', '/').replaceAll('~0', '~')]
  }
  if (node === undefined) throw new Error(`unresolved reference ${ref}`)
  return node as JsonSchema
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  return (
    ka.length === kb.length &&
    ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  )
}
