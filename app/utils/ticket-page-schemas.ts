import { z } from 'zod'
import { hasVisibleText, isEmailAddress, UNSAFE_NAME_CHARACTERS, withinMaxLength } from './schemas.ts'
import { MAX_BODY_CHARS, MAX_FILES, MessageBody, TicketPriority, TicketStatus } from './ticket-schemas.ts'
import { derivesFromTranslation } from './translation-mark.ts'

export const MessageKind = z.enum(['reply', 'note'], { error: 'Choose a reply or an internal note' })
export type MessageKind = z.infer<typeof MessageKind>

/** At most this many CC and, separately, BCC addresses on one reply. */
export const MAX_COPY_ADDRESSES = 10

/**
 * A CC or BCC field: addresses separated by commas, semicolons or spaces, each a valid email
 * address, at most MAX_COPY_ADDRESSES, duplicates dropped. Refused as a whole with a field error
 * that names the first bad address (the typed text is kept by Conform).
 */
export const COPY_LIST_MAX = 5000

function addressList(label: 'CC' | 'BCC') {
  return z
    .string()
    .max(COPY_LIST_MAX, { error: `The ${label} list is too long` })
    .optional()
    .transform((value, ctx) => {
      const addresses = (value ?? '').split(/[\s,;]+/).filter(Boolean)
      const bad = addresses.find((a) => !isEmailAddress(a))
      if (bad) {
        ctx.issues.push({
          code: 'custom',
          input: value,
          message: `${label}: “${bad.slice(0, 100)}” is not an email address`,
        })
        return z.NEVER
      }
      const unique = [...new Map(addresses.map((a) => [a.toLowerCase(), a])).values()]
      if (unique.length > MAX_COPY_ADDRESSES) {
        ctx.issues.push({
          code: 'custom',
          input: value,
          message: `${label}: at most ${MAX_COPY_ADDRESSES} addresses`,
        })
        return z.NEVER
      }
      return unique
    })
}
export const CcList = addressList('CC')
export const BccList = addressList('BCC')

const Draft = z.string().max(MAX_BODY_CHARS, { error: 'The message is too long (100 KB at most)' }).optional()

/** An AI translation's language (ISO 639-1), where the composer posts one. */
const LanguageCode = z
  .string()
  .regex(/^[a-z]{2}$/, { error: 'Unknown language' })
  .optional()

/**
 * The files of an undone reply kept on the agent's draft, by sha256, that they still want sent
 * (checkboxes, ticked by default). The server attaches only files the draft really holds.
 */
const KeepFiles = z
  .array(z.string().regex(/^[0-9a-f]{64}$/, { error: 'Unknown kept file' }))
  .max(MAX_FILES, { error: `Attach at most ${MAX_FILES} files` })
  .optional()

/** A queue's query string carried from the inbox to the ticket page ("Send & next"). */
export const QueueFrom = z.string().max(2000).optional()

/**
 * The composer's fields that say whom a reply emails, sent before its files: the ticket page asks
 * the hourly email limit with them before writing the files (the buttons, and so the intent, come
 * after the files).
 */
export const ReplyRecipientsSchema = z.object({
  kind: MessageKind,
  cc: CcList,
  bcc: BccList,
  ccShown: z.literal('1').optional(),
})

/**
 * The reply composer. Its buttons choose the intent: send, review the thread after a collision
 * (keeping the draft), or insert a canned response without JavaScript.
 */
export const ComposerSchema = z.discriminatedUnion('intent', [
  z.object({
    // `reply-next`: "Send & next", then on to the next ticket of the queue the agent came from.
    intent: z.enum(['reply', 'reply-next']),
    kind: MessageKind,
    body: MessageBody,
    // That queue's query string (view, filters, sort, page), from the inbox link or the tab.
    from: QueueFrom,
    status: TicketStatus.optional(),
    lastSeenMessageId: z.uuid().optional(),
    sendAnyway: z.literal('1').optional(),
    cc: CcList,
    bcc: BccList,
    // The composer showed the CC field: an empty one then means "no CCs", not "keep the ticket's".
    ccShown: z.literal('1').optional(),
    keepFile: KeepFiles,
    // The text is an AI translation of the agent's own ("Translate to <language>"): their own
    // text and the language, kept as an internal note when the reply is sent, and the model's
    // translation as it came (no note for a reply that is no longer it: translationOf).
    translatedFrom: Draft,
    translationLanguage: LanguageCode,
    translationText: Draft,
  }),
  z.object({
    intent: z.literal('review'),
    kind: MessageKind,
    body: Draft,
    status: TicketStatus.optional(),
    cc: z.string().optional(),
    bcc: z.string().optional(),
    ccShown: z.literal('1').optional(),
  }),
  z.object({
    intent: z.literal('insert-canned'),
    kind: MessageKind,
    body: Draft,
    status: TicketStatus.optional(),
    cannedId: z.uuid({ error: 'Choose a canned response' }),
    cc: z.string().optional(),
    bcc: z.string().optional(),
    ccShown: z.literal('1').optional(),
  }),
])

/**
 * The Retry button of a reply whose email failed. Its `confirmed=1` (the agent was told SendGrid
 * may already have accepted it and sends it again anyway) is read with `isConfirmed`, as every
 * confirmation is: any other value asks again.
 */
export const RetryDeliverySchema = z.object({
  intent: z.literal('retry-delivery'),
  messageId: z.uuid({ error: 'Unknown message' }),
})

/** A tag name's length (the sidebar's and the bulk toolbar's field, the API's `tags`). */
export const TAG_NAME_MAX = 50
const TAG_TOO_LONG = `Use at most ${TAG_NAME_MAX} characters`

export const TagName = z
  .string({ error: 'Type a tag name' })
  .refine((s) => !UNSAFE_NAME_CHARACTERS.test(s), {
    error: "A tag can't contain control characters",
    abort: true,
  })
  .trim()
  // Before the transform, so the API's generated spec (its input side) keeps the limits.
  .min(1, { error: 'Type a tag name', abort: true })
  .max(TAG_NAME_MAX, { error: TAG_TOO_LONG, abort: true })
  .refine(withinMaxLength(TAG_NAME_MAX), { error: TAG_TOO_LONG, abort: true })
  // One spelling per look: "é" typed as e + a combining accent is the same tag as the one-character "é".
  .transform((s) => s.normalize('NFC'))
  // Measured again as stored: NFC makes a few characters longer (U+0958 is two), and a name saved
  // longer than the limit could not be sent back in a PATCH's `tags` nor typed in the field.
  .pipe(
    z
      .string()
      .refine(withinMaxLength(TAG_NAME_MAX), { error: TAG_TOO_LONG, abort: true })
      .refine(hasVisibleText, { error: 'Type a tag name' }),
  )

const ASSIGNEE_ERROR = 'Choose an assignee from the list'

/** The ticket sidebar: each control saves on its own, with its own intent. `none` unassigns. */
export const UpdateTicketSchema = z.object({
  intent: z.literal('update'),
  status: TicketStatus.optional(),
  priority: TicketPriority.optional(),
  // Both messages: a union reports its closest option's own error ("Invalid UUID") otherwise.
  assigneeId: z
    .union([z.literal('none'), z.uuid({ error: ASSIGNEE_ERROR })], { error: ASSIGNEE_ERROR })
    .optional(),
})
export const AddTagSchema = z.object({ intent: z.literal('add-tag'), name: TagName })
export const RemoveTagSchema = z.object({
  intent: z.literal('remove-tag'),
  tagId: z.uuid({ error: 'That tag is not on this ticket; reload the page to see its tags' }),
})

/**
 * The composer's draft, saved as the agent types (the draft route); empty text empties it.
 * `generation`: the draft generation the page gave the composer (a save from before a send is
 * ignored).
 */
export const DraftSchema = z.object({
  kind: MessageKind,
  generation: z.coerce
    .number({ error: 'Reload the page' })
    .int({ error: 'Reload the page' })
    .min(0, { error: 'Reload the page' })
    .max(2_147_483_647, { error: 'Reload the page' }),
  body: z.string().max(MAX_BODY_CHARS, { error: 'The message is too long (100 KB at most)' }).optional(),
  // The draft revision the composer last saw ('none': no draft) and its page's random id: a save
  // over text another tab or device saved since is refused as stale (saveDraft). Absent: a page
  // from before revisions, saved as before.
  revision: z.union([z.literal('none'), z.uuid()], { error: 'Reload the page' }).optional(),
  writer: z
    .string()
    .regex(/^[A-Za-z0-9-]{8,64}$/, { error: 'Reload the page' })
    .optional(),
  // What the reply's fields show, saved with the text and validated as a send validates them: a
  // bad address refuses the save (the composer keeps the typing and says so). `ccShown`: the
  // agent set the CC list (an empty one then means "no CCs"); without it the draft follows the
  // ticket's list. A recipient the agent removed never comes back from the draft.
  cc: CcList,
  bcc: BccList,
  ccShown: z.literal('1').optional(),
  status: TicketStatus.optional(),
  // The composer shows the text as an AI translation still: its original and language, saved
  // with it (a save without them says it shows none). The composer's own state, not "keep what
  // is stored": a save from before the translation, landing after it, wrote the original away.
  // With the model's translation, which the text must still be (translationOf).
  translatedFrom: Draft,
  translationLanguage: LanguageCode,
  translationText: Draft,
})

/**
 * The AI translation a composer post says its reply text is (`translatedFrom`, the agent's own
 * text, `translationLanguage`, and `translationText`, the model's translation), or null: a note, a
 * text the agent wrote or restored, or one no longer derived from the translation (replaced by
 * their own words: derivesFromTranslation), whose send must not say "translated by AI".
 */
export function translationOf(input: {
  kind: string
  body?: string
  translatedFrom?: string
  translationLanguage?: string
  translationText?: string
}) {
  const { kind, body, translatedFrom: original, translationLanguage: language, translationText: text } = input
  if (kind !== 'reply' || !original || !language || !text) return null
  return derivesFromTranslation(body ?? '', text) ? { language, original, text } : null
}

/** Undo send: the held reply to take back. */
export const UndoSendSchema = z.object({
  intent: z.literal('undo-send'),
  messageId: z.uuid({ error: 'Unknown message' }),
})
