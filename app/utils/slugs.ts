import { z } from 'zod'

/**
 * The one slug rule: lowercase Latin letters, digits and hyphens, starting and ending with a
 * letter or digit. Such a slug is safe unescaped in a URL path segment and in an email local part
 * (a workspace slug is both; a mailbox key is the part after the slug in a forwarding address).
 * Each kind of slug only chooses its lengths and reserved words.
 */
const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/

export type SlugRule = {
  /** Shortest allowed; without it the pattern still needs one character. */
  min?: number
  max: number
  /** Words that are refused (compared after lower-casing). */
  reserved?: readonly string[]
  /** Errors for a missing value and a reserved word, in the words of the form that asks. */
  requiredError?: string
  reservedError?: string
}

/** The field schema: trims and lower-cases what was typed, then checks length, pattern and reserved words. */
export function slugSchema(rule: SlugRule) {
  let schema = z
    .string(rule.requiredError ? { error: rule.requiredError } : undefined)
    .trim()
    .toLowerCase()
  if (rule.min !== undefined) {
    schema = schema.min(rule.min, { error: `Use at least ${rule.min} characters` })
  }
  const checked = schema
    .max(rule.max, { error: `Use at most ${rule.max} characters` })
    .regex(SLUG_PATTERN, { error: 'Use lowercase letters, digits and hyphens (not at the start or end)' })
  const reserved = rule.reserved ?? []
  if (reserved.length === 0) return checked
  return checked.refine((slug) => !reserved.includes(slug), {
    error: rule.reservedError ?? 'This word is reserved',
  })
}

/**
 * Suggests a slug from a name ("Café & Sons" → "cafe-sons"): accents stripped, every run of other
 * characters one hyphen, at most `max` characters. Empty when the name has no Latin letters or
 * digits; it may still be shorter than a rule's `min` or a reserved word, so the schema decides.
 */
export function slugFrom(name: string, max: number) {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '') // the cut can land on a word break
}
