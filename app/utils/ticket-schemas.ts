import { z } from 'zod'

import { optionalDisplayName } from './schemas.ts'
import { TICKET_PRIORITIES, TICKET_STATUSES } from './vocabulary.ts'

export const TicketStatus = z.enum(TICKET_STATUSES, { error: 'Choose a valid status' })
export const TicketPriority = z.enum(TICKET_PRIORITIES, { error: 'Choose a valid priority' })
export type TicketStatus = z.infer<typeof TicketStatus>
export type TicketPriority = z.infer<typeof TicketPriority>

export const MAX_BODY_CHARS = 100_000
export const MAX_SUBJECT_CHARS = 250

export const Subject = z
  .string({ error: 'Subject is required' })
  // A subject is one line: it becomes an email header, where a line break could inject headers.
  .transform((s) => s.replace(/[\r\n\t]+/g, ' '))
  .pipe(
    z
      .string()
      .trim()
      .min(1, { error: 'Subject is required' })
      .max(MAX_SUBJECT_CHARS, { error: `Use at most ${MAX_SUBJECT_CHARS} characters` }),
  )

export const MessageBody = z
  .string({ error: 'Write a message first' })
  .trim()
  .min(1, { error: 'Write a message first' })
  .max(MAX_BODY_CHARS, { error: 'The message is too long (100 KB at most)' })

export const CustomerName = optionalDisplayName('Name', 100)

/** Attachment limits: 10 files, 25 MB together; executables are refused. */
export const MAX_FILES = 10
export const MAX_TOTAL_BYTES = 25 * 1024 * 1024
export const BLOCKED_EXTENSIONS = [
  'exe',
  'bat',
  'cmd',
  'com',
  'scr',
  'msi',
  'msp',
  'pif',
  'cpl',
  'dll',
  'jar',
  'vbs',
  'vbe',
  'js',
  'jse',
  'wsf',
  'wsh',
  'ps1',
  'psm1',
  'sh',
  'app',
  'apk',
  'deb',
  'rpm',
  'dmg',
  'hta',
  'lnk',
  'reg',
]

export function isBlockedFilename(filename: string) {
  const ext = filename.toLowerCase().split('.').pop() ?? ''
  return BLOCKED_EXTENSIONS.includes(ext)
}
