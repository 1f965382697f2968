import { z } from 'zod'
import { slugFrom, slugSchema } from './slugs.ts'
import { ROLES } from './vocabulary.ts'

/** Form schemas shared by the browser (instant feedback) and the server (the real check). */

/**
 * What an email address is, wherever one comes in: the forms, the API and MCP, a reply's CC and
 * BCC, and inbound email's sender and CC'd addresses (isEmailAddress). It is one we can send to:
 * at most 254 characters in all and 64 before the @ (RFC 5321 section 4.5.3.1), and ASCII only
 * (zod's pattern): we send through SendGrid without SMTPUTF8 (RFC 6531), so `ü@bücher.de` would be
 * a contact no reply reaches. Inbound email from such an address is refused like one without a
 * sender (docs/data-flow.md, Incoming email).
 */
/**
 * The longest values the forms' fields take, as their `maxLength` too: without JavaScript a field
 * with no limit let 10,000 characters through to the server, whose short forms refuse a body over
 * 16 KB (SHORT_FORM_BYTES) as a whole, the typed form lost.
 */
export const EMAIL_MAX = 254
export const PASSWORD_MAX = 256
export const PERSON_NAME_MAX = 100
export const WORKSPACE_NAME_MAX = 80

/**
 * At most `max` UTF-16 code units: what a field's `maxlength` counts, and what `String#length`,
 * `sliceWhole` and the API's documented limits count. Zod's `.max` counts code points, so 250 emoji
 * (500 units) passed the subject's 250 while its field takes 125, and a value saved through the
 * API or a post without the browser's limit was longer than the field could hold. Used after
 * `.max(max, { error, abort: true })`, which keeps the limit in the API's generated schema.
 */
export function withinMaxLength(max: number) {
  return (text: string) => text.length <= max
}

export const Email = z
  .string({ error: 'Email is required' })
  .trim()
  .max(EMAIL_MAX, { error: 'Email is too long' })
  .refine((address) => address.lastIndexOf('@') <= 64, {
    error: 'The part before @ is too long',
    abort: true,
  })
  .pipe(z.email({ error: 'Enter a valid email address' }))

/** Whether the address passes Email (already trimmed: inbound addresses, a CC list's entries). */
export function isEmailAddress(address: string) {
  return address === address.trim() && Email.safeParse(address).success
}

export const NewPassword = z
  .string({ error: 'Password is required' })
  .min(12, { error: 'Use at least 12 characters', abort: true })
  .max(PASSWORD_MAX, { error: `Use at most ${PASSWORD_MAX} characters`, abort: true })
  .refine(withinMaxLength(PASSWORD_MAX), { error: `Use at most ${PASSWORD_MAX} characters`, abort: true })
  // Twelve spaces, or one key held down, pass the length rule and protect nothing.
  .refine((password) => password.trim() !== '', { error: 'A password of spaces only is too easy to guess' })
  .refine((password) => new Set(password).size > 2, {
    error: 'Use more than two different characters',
  })

/**
 * What a name may not contain. Names end up in email headers (a From display name is the
 * agent's, the mailbox's or the workspace's; the customer's greets them), where CR or LF would
 * start a new header. Also refused: the other C0 controls (NUL breaks PostgreSQL text), DEL,
 * C1 controls (U+0085 ends a line for some mail software), the Unicode line and paragraph
 * separators, and the bidi embeddings, overrides and isolates, which reorder the text around a
 * name as it is displayed (a sender that reads as someone else). Left-to-right and
 * right-to-left marks (U+200E, U+200F) stay allowed: real names need them.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const UNSAFE_NAME_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

/**
 * A character that shows something: not white space, not a format character that renders as
 * nothing (zero-width space and joiners, word joiner, invisible operators, bidi marks, BOM, soft
 * hyphen, the Hangul fillers) and not a combining mark (U+0301…: marks alone have nothing to sit
 * on, so a tag or a name of them drew as an empty or dotted-circle chip).
 */
const VISIBLE =
  // eslint-disable-next-line no-misleading-character-class -- each is matched on its own, joiners included
  /[^\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2060-\u2064\u206a-\u206f\u3164\ufeff\uffa0\p{M}]/u

/**
 * Does the text show anything? A text of only invisible characters and marks looks empty, and is
 * treated as empty. One search that stops at the first visible character (a message body is
 * checked on every send; two whole-text replaces copied it twice).
 */
export function hasVisibleText(text: string) {
  return VISIBLE.test(text)
}

/**
 * One line of at most `max` characters, trimmed. The check runs before the trim, so a leading
 * "\r\n" is refused rather than trimmed away. A name of invisible characters only is refused.
 */
function nameText(label: string, max: number) {
  return z
    .string({ error: `${label} is required` })
    .refine((s) => !UNSAFE_NAME_CHARACTERS.test(s), {
      error: `${label} can't contain line breaks or control characters`,
      abort: true,
    })
    .trim()
    .refine((s) => s === '' || hasVisibleText(s), { error: `${label} can't be only invisible characters` })
    .max(max, { error: `Use at most ${max} characters`, abort: true })
    .refine(withinMaxLength(max), { error: `Use at most ${max} characters` })
}

/** A required name field: "<label> is required" when missing or blank. */
export function displayName(label: string, max: number) {
  return nameText(label, max).min(1, { error: `${label} is required` })
}

/** A name field that may be left empty (Conform turns an empty field into undefined). */
export function optionalDisplayName(label: string, max: number) {
  return nameText(label, max).optional()
}

export const PersonName = displayName('Name', PERSON_NAME_MAX)

export const WorkspaceName = displayName('Workspace name', WORKSPACE_NAME_MAX)

export const RESERVED_SLUGS = ['new', 'api', 'admin', 'settings', 'support', 'login', 'signup', 'dev']

export const WORKSPACE_SLUG_MAX = 40

export const WorkspaceSlug = slugSchema({
  min: 2,
  max: WORKSPACE_SLUG_MAX,
  reserved: RESERVED_SLUGS,
  requiredError: 'URL is required',
  reservedError: 'This URL is reserved',
})

export const Role = z.enum(ROLES, { error: 'Choose a role' })

/**
 * The URL a workspace gets when its URL field is left empty: the one made from its name (without
 * JavaScript nothing suggests one as the name is typed). Called only once the name is valid, so
 * a form with neither names the name alone. Either the slug, or why none could be made.
 */
function workspaceSlugFromName(name: string): { slug: string } | { error: string } {
  const derived = slugify(name)
  if (!derived) return { error: 'Choose a URL: the name has no letters or digits to make one from' }
  const checked = WorkspaceSlug.safeParse(derived)
  if (checked.success) return { slug: checked.data }
  const reason = checked.error.issues[0]?.message ?? 'Not allowed'
  return { error: `Choose a URL: “${derived}”, made from the name, can't be used. ${reason}.` }
}

/** Names the URL: made from the name, it is not in the (empty) field the error sits under. */
export function slugTakenMessage(slug: string) {
  return `/w/${slug} is taken; choose another URL`
}

export const SignupSchema = z
  .object({
    name: PersonName,
    email: Email,
    password: NewPassword,
    workspaceName: WorkspaceName,
    workspaceSlug: WorkspaceSlug.optional(),
  })
  .transform(({ workspaceSlug, ...value }, ctx) => {
    if (workspaceSlug) return { ...value, workspaceSlug }
    const made = workspaceSlugFromName(value.workspaceName)
    if ('slug' in made) return { ...value, workspaceSlug: made.slug }
    ctx.addIssue({ code: 'custom', path: ['workspaceSlug'], message: made.error })
    return z.NEVER
  })

export const InviteSignupSchema = z.object({
  name: PersonName,
  password: NewPassword,
})

export const LoginSchema = z.object({
  email: Email,
  password: z
    .string({ error: 'Password is required' })
    .max(PASSWORD_MAX, { error: 'Password is too long', abort: true })
    .refine(withinMaxLength(PASSWORD_MAX), { error: 'Password is too long' }),
  redirectTo: z.string().optional(),
})

export const WorkspaceSchema = z
  .object({ name: WorkspaceName, slug: WorkspaceSlug.optional() })
  .transform(({ name, slug }, ctx) => {
    if (slug) return { name, slug }
    const made = workspaceSlugFromName(name)
    if ('slug' in made) return { name, slug: made.slug }
    ctx.addIssue({ code: 'custom', path: ['slug'], message: made.error })
    return z.NEVER
  })

export const InviteSchema = z.object({ intent: z.literal('invite'), email: Email, role: Role })

/** Turns a workspace name into a suggested URL slug. */
export function slugify(name: string) {
  return slugFrom(name, WORKSPACE_SLUG_MAX)
}
