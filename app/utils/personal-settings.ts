import { z } from 'zod'
import { listedTimeZone } from './format.ts'

export const SIGNATURE_MAX = 2000

/** A zone name from `timeZoneNames()` (aliases are accepted and stored under the listed name). */
export const TimeZoneName = z
  .string({ error: 'Choose a time zone' })
  .trim()
  .max(64, { error: 'Choose a time zone from the list' })
  .transform((zone, ctx) => {
    const listed = listedTimeZone(zone)
    if (!listed) {
      ctx.addIssue({ code: 'custom', message: 'Choose a time zone from the list' })
      return z.NEVER
    }
    return listed
  })

/** The personal signature: plain text, appended to replies after the mailbox signature. */
export const PersonalSignature = z
  .string()
  .max(SIGNATURE_MAX, { error: `Use at most ${SIGNATURE_MAX.toLocaleString('en-US')} characters` })
  .optional()
  .transform((s) => (s ?? '').replace(/\r\n?/g, '\n').trim())
