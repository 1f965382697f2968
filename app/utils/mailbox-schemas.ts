import { z } from 'zod'
import { displayName, Email } from './schemas.ts'
import { slugFrom, slugSchema } from './slugs.ts'

/** Mailbox form fields, shared by the browser (instant feedback) and the server (the real check). */

export const MAILBOX_KEY_MAX = 40

export const MailboxName = displayName('Name', 80)

/** The key is the local part of the forwarding address after the workspace slug (so no dots). */
export const MailboxKey = slugSchema({ max: MAILBOX_KEY_MAX })

/** The From display name of this mailbox's emails. */
export const SenderName = displayName('Sender name', 80)

export const Signature = z
  .string()
  .max(2000, { error: 'Use at most 2,000 characters' })
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

export const UpdateMailboxSchema = MailboxFields.extend({
  intent: z.literal('update'),
  mailboxId: z.uuid({ error: 'Unknown mailbox' }),
})

/** Turns a mailbox name into its suggested key ("Billing & Refunds" → "billing-refunds"). */
export function mailboxKeyFrom(name: string) {
  return slugFrom(name, MAILBOX_KEY_MAX)
}

/** Settings → Mailboxes: the automatic answer to new tickets that arrive by email (off by default). */
export const AutoAcknowledgementSchema = z
  .object({
    intent: z.literal('auto-acknowledge'),
    mailboxId: z.uuid({ error: 'Unknown mailbox' }),
    enabled: z.literal('on').optional(),
    text: z
      .string()
      .max(5000, { error: 'Use at most 5,000 characters' })
      .optional()
      .transform((s) => s?.trim() ?? ''),
  })
  .superRefine((value, ctx) => {
    if (value.enabled && !value.text) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'Write the text to send, or turn it off' })
    }
  })
