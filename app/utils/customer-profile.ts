import { z } from 'zod'
import { parseDrawnBase, replaceField } from './drawn-base.ts'
import { listedTimeZone } from './format.ts'
import { UNSAFE_NAME_CHARACTERS, withinMaxLength } from './schemas.ts'

/**
 * Mail providers whose domain says nothing about where a person works. A domain listed here (or
 * one of the provider's country variants, see FREE_MAIL_PREFIXES) derives no company.
 */
export const FREE_MAIL_DOMAINS = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'msn.com',
  'yahoo.com',
  'ymail.com',
  'rocketmail.com',
  'aol.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'proton.me',
  'protonmail.com',
  'pm.me',
  'gmx.com',
  'gmx.net',
  'gmx.de',
  'web.de',
  't-online.de',
  'mail.com',
  'zoho.com',
  'yandex.com',
  'yandex.ru',
  'mail.ru',
  'qq.com',
  '163.com',
  '126.com',
  'fastmail.com',
  'hey.com',
  'tutanota.com',
  'tuta.io',
  'orange.fr',
  'free.fr',
  'laposte.net',
  'libero.it',
  'btinternet.com',
  'comcast.net',
  'verizon.net',
  'att.net',
  // Reserved for examples (RFC 2606): the demo workspace's customers write from these, and a
  // company named "Example" says nothing either.
  'example.com',
  'example.net',
  'example.org',
])
/** yahoo.co.uk, hotmail.fr, outlook.de, live.nl…: the big providers' country domains. */
const FREE_MAIL_PREFIXES = ['yahoo.', 'hotmail.', 'outlook.', 'live.', 'gmx.', 'yandex.']

/** Second-level labels under a country code (acme.co.uk, acme.com.au): not the company's name. */
const GENERIC_SECOND_LEVEL = new Set([
  'co',
  'com',
  'org',
  'net',
  'ac',
  'gov',
  'edu',
  'ltd',
  'plc',
  'ne',
  'or',
])

export function isFreeMailDomain(domain: string) {
  const d = domain.toLowerCase()
  return FREE_MAIL_DOMAINS.has(d) || FREE_MAIL_PREFIXES.some((prefix) => d.startsWith(prefix))
}

/**
 * A company name guessed from an email address: the label before the public suffix, capitalized
 * (ada@eu.acme.co.uk → "Acme"). Null for free-mail providers and addresses without a domain.
 */
export function companyFromEmail(email: string): string | null {
  const domain = email.split('@')[1]?.trim().toLowerCase()
  if (!domain || isFreeMailDomain(domain)) return null
  const labels = domain.split('.').filter(Boolean)
  if (labels.length < 2) return null
  let nameIndex = labels.length - 2
  const tld = labels.at(-1)!
  if (tld.length === 2 && labels.length >= 3 && GENERIC_SECOND_LEVEL.has(labels[nameIndex]!)) nameIndex -= 1
  const name = labels[nameIndex]!
  return name.charAt(0).toUpperCase() + name.slice(1)
}

/** What the card shows: the company agents set ('' = cleared on purpose), else the derived one. */
export function effectiveCompany(contact: { company: string | null; email: string }) {
  return contact.company ?? companyFromEmail(contact.email)
}

/** One formatter per zone: building an Intl.DateTimeFormat costs more than formatting with it. */
const localTimeFormats = new Map<string, Intl.DateTimeFormat>()

/** "14:05" in the zone at the given instant (the loader's `now`, so server and browser agree). */
export function localTime(nowIso: string, zone: string) {
  let format = localTimeFormats.get(zone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
    // Zones are canonical IANA names (a few hundred); the bound only guards against surprises.
    if (localTimeFormats.size >= 1000) localTimeFormats.clear()
    localTimeFormats.set(zone, format)
  }
  return format.format(new Date(nowIso))
}

export const NOTES_MAX = 5000
export const COMPANY_MAX = 100
export const TIME_ZONE_NAME_MAX = 64

export type ProfileField = 'company' | 'timeZone' | 'notes'
export const PROFILE_FIELDS: readonly ProfileField[] = ['company', 'timeZone', 'notes']

/**
 * The customer's company, time zone and private notes, edited from the ticket's customer card and
 * the customer page. `returnTo` (a ticket number) sends the agent back to that ticket.
 */
export const CustomerProfileSchema = z.object({
  intent: z.literal('profile'),
  company: z
    .string()
    .trim()
    .max(COMPANY_MAX, { error: 'Use at most 100 characters', abort: true })
    .refine(withinMaxLength(COMPANY_MAX), { error: 'Use at most 100 characters', abort: true })
    .refine((s) => !UNSAFE_NAME_CHARACTERS.test(s), { error: 'Remove the control characters' })
    .optional()
    .transform((s) => s ?? ''),
  timeZone: z
    .string()
    .trim()
    .max(TIME_ZONE_NAME_MAX, { error: 'Use a time zone name such as Europe/Paris' })
    .optional()
    .transform((zone, ctx) => {
      if (!zone) return null
      // An IANA zone from the list the account page offers (offsets such as +05:30 are not
      // zones), stored under its listed name.
      const canonical = listedTimeZone(zone)
      if (!canonical) {
        ctx.addIssue({ code: 'custom', message: 'Unknown time zone: use a name such as Europe/Paris' })
        return z.NEVER
      }
      return canonical
    }),
  notes: z
    .string()
    .max(NOTES_MAX, { error: `Notes can be at most ${NOTES_MAX.toLocaleString('en-US')} characters` })
    .optional()
    .transform((s) => s?.trim() ?? ''),
  returnTo: z.coerce.number().int().positive().max(2_147_483_647).optional(),
  // What the form showed when it was drawn (`profileBase`, a hidden field): a field posted as it
  // was drawn is one the agent did not touch, so a teammate's change saved meanwhile is kept.
  base: z
    .string()
    .max(4 * NOTES_MAX + 1000)
    .optional(),
  // Fields the agent saves knowing a teammate saved them meanwhile (the form showed it:
  // TeammateSaved): their text replaces the teammate's. Any other such field is a conflict (409).
  replace: replaceField(PROFILE_FIELDS),
})
/** What the form calls each field (a conflict names them). */
export const PROFILE_FIELD_LABEL: Record<ProfileField, string> = {
  company: 'Company',
  timeZone: 'Time zone',
  notes: 'Private notes',
}

export type CustomerProfileInput = z.output<typeof CustomerProfileSchema>

type ProfileFields = { company: string | null; timeZone: string | null; notes: string }

/** The `base` hidden field of a profile form drawn with these values. */
export function profileBase(contact: ProfileFields) {
  return JSON.stringify({
    company: contact.company ?? '',
    timeZone: contact.timeZone ?? '',
    notes: contact.notes,
  })
}

const BaseShape = z.object({ company: z.string(), timeZone: z.string(), notes: z.string() })

/**
 * The values a posted profile form was drawn with, read as its fields are (trimmed, the zone under
 * its listed name), or null when the post carries none (an older page) or it cannot be read: then
 * every field counts as edited, as before.
 */
export function parseProfileBase(base: string | undefined) {
  return parseDrawnBase(
    base,
    BaseShape,
    CustomerProfileSchema.pick({ company: true, timeZone: true, notes: true }),
  )
}
