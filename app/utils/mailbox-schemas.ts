import { z } from 'zod'
import { parseDrawnBase, replaceField } from './drawn-base.ts'
import { displayName, Email } from './schemas.ts'
import { slugFrom, slugSchema } from './slugs.ts'

/** Mailbox form fields, shared by the browser (instant feedback) and the server (the real check). */

export const MAILBOX_KEY_MAX = 40
export const MAILBOX_NAME_MAX = 80
export const SENDER_NAME_MAX = 80
export const MAILBOX_SIGNATURE_MAX = 2000
export const AUTO_ACKNOWLEDGEMENT_MAX = 5000

export const MailboxName = displayName('Name', MAILBOX_NAME_MAX)

/** The key is the local part of the forwarding address after the workspace slug (so no dots). */
export const MailboxKey = slugSchema({ max: MAILBOX_KEY_MAX })

/** The From display name of this mailbox's emails. */
export const SenderName = displayName('Sender name', SENDER_NAME_MAX)

export const Signature = z
  .string()
  .max(MAILBOX_SIGNATURE_MAX, { error: 'Use at most 2,000 characters' })
  .optional()
  .transform((s) => s ?? '')

export const MailboxFields = z.object({
  name: MailboxName,
  address: Email,
  fromName: SenderName,
  signature: Signature,
})

export const CreateMailboxSchema = MailboxFields.extend({
  intent: z.literal('create'),
  // Optional: derived from the name when left empty.
  key: MailboxKey.optional(),
}).superRefine((value, ctx) => {
  if (!value.key && !mailboxKeyFrom(value.name)) {
    ctx.addIssue({
      code: 'custom',
      path: ['key'],
      message: 'Choose a key: the name has no letters or digits',
    })
  }
})

type MailboxFieldValues = { name: string; address: string; fromName: string; signature: string }
export const MAILBOX_FIELDS = ['name', 'address', 'fromName', 'signature'] as const

export const UpdateMailboxSchema = MailboxFields.extend({
  intent: z.literal('update'),
  mailboxId: z.uuid({ error: 'Unknown mailbox' }),
  // What the form showed when it was drawn (`mailboxBase`, a hidden field): a field posted as it
  // was drawn is one the admin did not touch, so a teammate's change saved meanwhile is kept.
  base: z.string().max(10_000).optional(),
  // The fields whose teammate's save the form showed: see drawnSave.
  replace: replaceField(MAILBOX_FIELDS),
})

/** The `base` hidden field of a mailbox form drawn with these values. */
export function mailboxBase(mailbox: MailboxFieldValues) {
  return JSON.stringify({
    name: mailbox.name,
    address: mailbox.address,
    fromName: mailbox.fromName,
    signature: mailbox.signature,
  })
}

/**
 * The values a posted mailbox form was drawn with, read as its fields are, or null when the post
 * carries none (an older page) or it cannot be read: then every field counts as edited, as before.
 */
export function parseMailboxBase(base: string | undefined): MailboxFieldValues | null {
  const shape = z.object({
    name: z.string(),
    address: z.string(),
    fromName: z.string(),
    signature: z.string(),
  })
  return parseDrawnBase(base, shape, MailboxFields)
}

/** Turns a mailbox name into its suggested key ("Billing & Refunds" → "billing-refunds"). */
export function mailboxKeyFrom(name: string) {
  return slugFrom(name, MAILBOX_KEY_MAX)
}

const AutoAcknowledgementText = z
  .string()
  .max(AUTO_ACKNOWLEDGEMENT_MAX, { error: 'Use at most 5,000 characters' })
  .optional()
  .transform((s) => s?.trim() ?? '')

/** The `base` hidden field of an auto-acknowledgement form drawn with these values. */
export function autoAcknowledgementBase(mailbox: { autoAcknowledge: boolean; autoAcknowledgeText: string }) {
  return JSON.stringify({ enabled: mailbox.autoAcknowledge, text: mailbox.autoAcknowledgeText })
}

/**
 * The switch and text a posted auto-acknowledgement form was drawn with, read as its fields are,
 * or null when there are none or they cannot be read (then both count as edited, as before).
 */
export function parseAutoAcknowledgementBase(base: string | undefined) {
  return parseDrawnBase(
    base,
    z.object({ enabled: z.boolean(), text: z.string() }),
    z.object({ enabled: z.boolean(), text: AutoAcknowledgementText }),
  )
}

/** Settings → Mailboxes: the automatic answer to new tickets that arrive by email (off by default). */
export const AutoAcknowledgementSchema = z
  .object({
    intent: z.literal('auto-acknowledge'),
    mailboxId: z.uuid({ error: 'Unknown mailbox' }),
    enabled: z.literal('on').optional(),
    text: AutoAcknowledgementText,
    // What the form showed when it was drawn (`autoAcknowledgementBase`): see setAutoAcknowledgement.
    base: z.string().max(20_000).optional(),
    replace: replaceField(['enabled', 'text']),
  })
  .superRefine((value, ctx) => {
    if (value.enabled && !value.text) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'Write the text to send, or turn it off' })
    }
  })
