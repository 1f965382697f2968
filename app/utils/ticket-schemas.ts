import { z } from 'zod'

import { hasVisibleText, optionalDisplayName, UNSAFE_NAME_CHARACTERS, withinMaxLength } from './schemas.ts'
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
      // The other controls and the bidi overrides, as in names: an override makes the subject
      // read differently in the inbox and in the customer's confirmation email.
      .refine((s) => !UNSAFE_NAME_CHARACTERS.test(s), {
        error: "The subject can't contain control characters",
        abort: true,
      })
      .trim()
      .min(1, { error: 'Subject is required', abort: true })
      .refine(hasVisibleText, { error: 'Subject is required' })
      .max(MAX_SUBJECT_CHARS, { error: `Use at most ${MAX_SUBJECT_CHARS} characters`, abort: true })
      .refine(withinMaxLength(MAX_SUBJECT_CHARS), { error: `Use at most ${MAX_SUBJECT_CHARS} characters` }),
  )

export const MessageBody = z
  .string({ error: 'Write a message first' })
  .trim()
  .min(1, { error: 'Write a message first', abort: true })
  // Zero-width characters alone look like an empty message.
  .refine(hasVisibleText, { error: 'Write a message first' })
  .max(MAX_BODY_CHARS, { error: 'The message is too long (100 KB at most)' })

export const CustomerName = optionalDisplayName('Name', 100)

/** Attachment limits: 10 files, 25 MB together; executables (by name or by type) are refused. */
export const MAX_FILES = 10
export const MAX_TOTAL_BYTES = 25 * 1024 * 1024
/**
 * Extensions a click can run, install or mount (Windows, macOS, Linux, Java, scripts), after
 * Gmail's list of blocked attachment types plus the script languages a desktop runs directly.
 */
export const BLOCKED_EXTENSIONS: ReadonlySet<string> = new Set(
  [
    // Windows programs, installers and libraries
    'exe com scr pif cpl dll sys drv ocx vxd msi msp mst msix msixbundle appx appxbundle',
    'appinstaller application appref-ms gadget xbap xll cab diagcab diagcfg diagpkg ex_ lib',
    // Windows scripts, shortcuts and settings
    'bat cmd vb vbs vbe js jse mjs cjs wsf wsh wsc ws sct hta chm hlp ps1 ps1xml ps2 ps2xml psc1',
    'psc2 psd1 psm1 msh msh1 msh2 mshxml msh1xml msh2xml lnk url scf shb shs inf ins isp reg msc',
    'nsh settingcontent-ms library-ms search-ms searchconnector-ms ade adp mde jnlp',
    // Disk images: they mount, and what is inside escapes the Mark of the Web
    'iso img vhd vhdx dmg',
    // Java, Python, Unix shells, macOS and Linux packages
    'jar py pyw pyc pyz sh command app pkg mpkg apk deb rpm',
  ]
    .join(' ')
    .split(' '),
)

/**
 * Would Windows (or another desktop) treat the file as something to run? Windows drops trailing
 * dots and spaces (`evil.exe. `) and reads `evil.exe::$DATA` or `evil.exe:x` as (a stream of)
 * `evil.exe`, so the extension is taken after the same normalisation, ignoring case.
 */
export function isBlockedFilename(filename: string) {
  const lower = filename.toLowerCase()
  const beforeStream = lower.split(':')[0]
  return [lower, beforeStream].some((name) => {
    const trimmed = name.replace(/[\s.]+$/u, '')
    const dot = trimmed.lastIndexOf('.')
    return dot !== -1 && BLOCKED_EXTENSIONS.has(trimmed.slice(dot + 1))
  })
}

/**
 * Media types of the same kinds of file (programs, installers, scripts, disk images, packages),
 * as browsers and mail programs label them. A browser derives the type from the extension, so a
 * file that passes isBlockedFilename rarely carries one of these; one that does is refused too.
 */
const BLOCKED_TYPES: ReadonlySet<string> = new Set(
  [
    'application/x-msdownload application/x-msdos-program application/x-dosexec',
    'application/vnd.microsoft.portable-executable application/x-ms-installer application/x-msi',
    'application/x-ms-shortcut application/x-ms-application application/hta application/x-bat',
    'application/x-executable application/x-elf application/x-mach-binary application/x-sh',
    'application/x-shellscript application/x-csh text/x-shellscript text/x-sh',
    'application/javascript application/x-javascript application/ecmascript text/javascript',
    'text/jscript text/vbscript application/x-vbscript text/x-python application/x-python-code',
    'application/java-archive application/x-java-archive application/x-java-jnlp-file',
    'application/x-apple-diskimage application/x-iso9660-image application/vnd.apple.installer+xml',
    'application/vnd.android.package-archive application/x-debian-package application/x-rpm',
  ]
    .join(' ')
    .split(' '),
)

/** Is the declared media type (parameters and case ignored) one of an executable kind of file? */
export function isBlockedType(contentType: string | null | undefined) {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  return BLOCKED_TYPES.has(type)
}
