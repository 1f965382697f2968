import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import {
  displayName,
  Email,
  isEmailAddress,
  LoginSchema,
  NewPassword,
  optionalDisplayName,
  PersonName,
  RESERVED_SLUGS,
  SignupSchema,
  slugify,
  WorkspaceName,
  WorkspaceSlug,
} from '#app/utils/schemas.ts'
import { TAG_NAME_MAX, TagName } from '#app/utils/ticket-page-schemas.ts'
import { MAX_SUBJECT_CHARS, Subject } from '#app/utils/ticket-schemas.ts'

function messages(result: z.ZodSafeParseResult<unknown>) {
  return result.success ? [] : result.error.issues.map((i) => i.message)
}

const validSignup = {
  name: 'Dana Scully',
  email: 'dana@example.com',
  password: 'a sufficiently long password',
  workspaceName: 'Acme Support',
  workspaceSlug: 'acme',
}

describe('NewPassword', () => {
  it('rejects 11 characters and accepts 12', () => {
    expect(messages(NewPassword.safeParse('x'.repeat(11)))).toEqual(['Use at least 12 characters'])
    expect(NewPassword.safeParse('xyz'.repeat(4)).success).toBe(true)
  })

  it('accepts 256 characters and rejects 257', () => {
    expect(NewPassword.safeParse('xyz'.repeat(85) + 'x').success).toBe(true)
    expect(messages(NewPassword.safeParse('x'.repeat(257)))).toEqual(['Use at most 256 characters'])
  })

  it('keeps surrounding spaces, because they are part of the password', () => {
    expect(NewPassword.parse('  twelve chars  ')).toBe('  twelve chars  ')
  })

  it('refuses spaces only and one or two characters repeated, which the length rule let through', () => {
    expect(messages(NewPassword.safeParse(' '.repeat(12)))).toContain(
      'A password of spaces only is too easy to guess',
    )
    expect(messages(NewPassword.safeParse('a'.repeat(20)))).toEqual([
      'Use more than two different characters',
    ])
    expect(messages(NewPassword.safeParse('ab'.repeat(10)))).toEqual([
      'Use more than two different characters',
    ])
    expect(NewPassword.safeParse('abc'.repeat(4)).success).toBe(true)
  })

  it('says the password is required when it is missing', () => {
    expect(messages(NewPassword.safeParse(undefined))).toEqual(['Password is required'])
  })
})

describe('Email', () => {
  it('trims surrounding whitespace', () => {
    expect(Email.parse('  dana@example.com \n')).toBe('dana@example.com')
  })

  it('rejects something that is not an email address', () => {
    expect(messages(Email.safeParse('dana at example.com'))).toEqual(['Enter a valid email address'])
  })

  it('accepts 254 characters and rejects 255, counted after trimming', () => {
    const at254 = `${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(63)}.com`
    expect(at254).toHaveLength(254)
    expect(Email.safeParse(`  ${at254}  `).success).toBe(true)
    expect(messages(Email.safeParse(`${at254}m`))).toContain('Email is too long')
  })

  // One rule for every way in (forms, API, inbound email): an address we can send a reply to.
  it('accepts 64 characters before the @ and rejects 65 (RFC 5321)', () => {
    expect(Email.safeParse(`${'a'.repeat(64)}@example.com`).success).toBe(true)
    expect(messages(Email.safeParse(`${'a'.repeat(65)}@example.com`))).toEqual([
      'The part before @ is too long',
    ])
    expect(isEmailAddress(`${'a'.repeat(300)}@example.com`)).toBe(false)
  })

  it('rejects internationalised addresses, which we cannot send to without SMTPUTF8', () => {
    for (const address of ['ü@bücher.de', 'dana@bücher.de', 'ü@example.com', '用户@例子.广告']) {
      expect(messages(Email.safeParse(address))).toEqual(['Enter a valid email address'])
      expect(isEmailAddress(address)).toBe(false)
    }
    expect(isEmailAddress('dana@xn--bcher-kva.de')).toBe(true)
  })

  it('isEmailAddress takes an address as it is, untrimmed ones refused', () => {
    expect(isEmailAddress('dana@example.com')).toBe(true)
    expect(isEmailAddress(' dana@example.com')).toBe(false)
    expect(isEmailAddress('')).toBe(false)
  })

  it('says the email is required when it is missing', () => {
    expect(messages(Email.safeParse(undefined))).toEqual(['Email is required'])
  })
})

describe('WorkspaceSlug', () => {
  it('accepts lowercase letters, digits and inner hyphens', () => {
    expect(WorkspaceSlug.parse('acme-support-2')).toBe('acme-support-2')
  })

  it('lowercases and trims what was typed', () => {
    expect(WorkspaceSlug.parse('  Acme-Support ')).toBe('acme-support')
  })

  it('rejects 1 character and accepts 2', () => {
    expect(messages(WorkspaceSlug.safeParse('a'))).toContain('Use at least 2 characters')
    expect(WorkspaceSlug.parse('ab')).toBe('ab')
  })

  it('accepts 40 characters and rejects 41', () => {
    expect(WorkspaceSlug.safeParse('a'.repeat(40)).success).toBe(true)
    expect(messages(WorkspaceSlug.safeParse('a'.repeat(41)))).toContain('Use at most 40 characters')
  })

  it.each([
    ['a leading hyphen', '-acme'],
    ['a trailing hyphen', 'acme-'],
    ['an underscore', 'acme_support'],
    ['a space', 'acme support'],
    ['a dot', 'acme.support'],
    ['an accented letter', 'café'],
    ['a slash', 'acme/support'],
  ])('rejects a slug with %s', (_what, slug) => {
    expect(messages(WorkspaceSlug.safeParse(slug))).toContain(
      'Use lowercase letters, digits and hyphens (not at the start or end)',
    )
  })

  it.each(RESERVED_SLUGS)('rejects the reserved slug "%s"', (slug) => {
    expect(messages(WorkspaceSlug.safeParse(slug))).toEqual(['This URL is reserved'])
  })

  it('rejects a reserved slug typed in uppercase', () => {
    expect(messages(WorkspaceSlug.safeParse('Admin'))).toEqual(['This URL is reserved'])
  })

  it('accepts a slug that only contains a reserved word', () => {
    expect(WorkspaceSlug.parse('admin-team')).toBe('admin-team')
  })
})

describe('SignupSchema', () => {
  it('accepts a complete signup and normalises the email and slug', () => {
    const parsed = SignupSchema.parse({ ...validSignup, email: ' dana@example.com ', workspaceSlug: 'ACME' })
    expect(parsed).toEqual({ ...validSignup, email: 'dana@example.com', workspaceSlug: 'acme' })
  })

  it('names every invalid field at once', () => {
    const result = SignupSchema.safeParse({
      name: '  ',
      email: 'nope',
      password: 'short',
      workspaceName: '',
      workspaceSlug: '-x',
    })
    expect(result.success).toBe(false)
    const fields = new Set(result.error?.issues.map((i) => i.path[0]))
    expect(fields).toEqual(new Set(['name', 'email', 'password', 'workspaceName', 'workspaceSlug']))
  })

  it('rejects an 11-character password and accepts a 12-character one', () => {
    expect(SignupSchema.safeParse({ ...validSignup, password: 'p'.repeat(11) }).success).toBe(false)
    expect(SignupSchema.safeParse({ ...validSignup, password: 'pqr'.repeat(4) }).success).toBe(true)
  })
})

describe('LoginSchema', () => {
  it('accepts a short password, so the login form never hints at the signup policy', () => {
    expect(LoginSchema.parse({ email: 'dana@example.com', password: 'short' })).toEqual({
      email: 'dana@example.com',
      password: 'short',
    })
  })

  it('accepts a 256-character password and rejects a 257-character one', () => {
    expect(LoginSchema.safeParse({ email: 'dana@example.com', password: 'p'.repeat(256) }).success).toBe(true)
    expect(messages(LoginSchema.safeParse({ email: 'dana@example.com', password: 'p'.repeat(257) }))).toEqual(
      ['Password is too long'],
    )
  })

  it('trims the email and keeps an optional redirect target', () => {
    expect(LoginSchema.parse({ email: ' dana@example.com ', password: 'pw', redirectTo: '/w/acme' })).toEqual(
      {
        email: 'dana@example.com',
        password: 'pw',
        redirectTo: '/w/acme',
      },
    )
  })

  it('requires a password', () => {
    expect(messages(LoginSchema.safeParse({ email: 'dana@example.com' }))).toEqual(['Password is required'])
  })
})

describe('slugify', () => {
  it('turns a name into lowercase words joined by hyphens', () => {
    expect(slugify('Acme Support Team')).toBe('acme-support-team')
  })

  it('strips accents rather than dropping the letters', () => {
    expect(slugify('Café Ünïcorn')).toBe('cafe-unicorn')
  })

  it('collapses runs of punctuation and trims hyphens from both ends', () => {
    expect(slugify('  --Acme & Sons, Ltd.!-- ')).toBe('acme-sons-ltd')
  })

  it('cuts long names to 40 characters', () => {
    expect(slugify('a'.repeat(60))).toBe('a'.repeat(40))
  })

  it('never suggests a slug ending in a hyphen when the cut falls on a word break', () => {
    const slug = slugify(`${'a'.repeat(39)} support`)
    expect(slug).toBe('a'.repeat(39))
    expect(WorkspaceSlug.safeParse(slug).success).toBe(true)
  })

  it('suggests a valid slug for ordinary workspace names', () => {
    for (const name of ['Acme Support', 'Zoë’s Bakery & Café', 'Help Desk #2', 'ÅLAND — Customer Care']) {
      expect(WorkspaceSlug.safeParse(slugify(name)).success, name).toBe(true)
    }
  })

  it('returns an empty string for a name with no Latin letters or digits', () => {
    expect(slugify('東京サポート')).toBe('')
  })
})

describe('Subject', () => {
  it('folds line breaks and tabs into spaces, so a subject can never add an email header', async () => {
    const { Subject } = await import('#app/utils/ticket-schemas.ts')
    expect(Subject.parse('Hello\r\nBcc: victim@example.com')).toBe('Hello Bcc: victim@example.com')
    expect(Subject.parse('  Tabs\tand\nlines  ')).toBe('Tabs and lines')
    expect(Subject.safeParse('\r\n').success).toBe(false)
    expect(Subject.safeParse('x'.repeat(251)).success).toBe(false)
  })
})

describe('name fields', () => {
  const unsafe = [
    ['CR LF', '\r\nBcc: x@y'],
    ['a lone LF inside', 'Dana\nBcc: x@y'],
    ['a lone CR', 'Dana\rScully'],
    ['NUL', 'Dana\u0000'],
    ['TAB inside', 'Dana\tScully'],
    ['DEL', 'Dana\u007f'],
    ['NEL (C1)', 'Dana\u0085Scully'],
    ['line separator', 'Dana\u2028Scully'],
    ['paragraph separator', 'Dana\u2029Scully'],
    ['right-to-left override', 'Dana\u202eexe.gpj'],
    ['left-to-right isolate', '\u2066Dana\u2069'],
  ] as const

  it.each(unsafe)('refuses %s with a field message', (_, value) => {
    const result = displayName('Sender name', 80).safeParse(value)
    expect(messages(result)).toEqual(["Sender name can't contain line breaks or control characters"])
  })

  it.each(unsafe)('refuses %s in an optional name too', (_, value) => {
    expect(messages(optionalDisplayName('Name', 100).safeParse(value))).toEqual([
      "Name can't contain line breaks or control characters",
    ])
  })

  it('keeps ordinary names, trimmed, including non-Latin ones and directional marks', () => {
    expect(PersonName.parse('  Dana Scully ')).toBe('Dana Scully')
    expect(PersonName.parse('Zoë O’Brien-Łukasz')).toBe('Zoë O’Brien-Łukasz')
    expect(PersonName.parse('דנה\u200f סקאלי')).toBe('דנה\u200f סקאלי')
    expect(WorkspaceName.parse('東京サポート')).toBe('東京サポート')
  })

  it('says a blank required name is required, and lets an optional one be empty', () => {
    expect(messages(PersonName.safeParse('   '))).toEqual(['Name is required'])
    expect(messages(PersonName.safeParse(undefined))).toEqual(['Name is required'])
    expect(optionalDisplayName('Name', 100).parse(undefined)).toBeUndefined()
    expect(optionalDisplayName('Name', 100).parse('  ')).toBe('')
  })

  it('keeps the length limits', () => {
    expect(messages(WorkspaceName.safeParse('x'.repeat(81)))).toEqual(['Use at most 80 characters'])
    expect(PersonName.safeParse('x'.repeat(100)).success).toBe(true)
  })

  it('applies to every name that can reach an email header', async () => {
    const { MailboxFields } = await import('#app/utils/mailbox-schemas.ts')
    const { CustomerName } = await import('#app/utils/ticket-schemas.ts')
    const { SupportRequestSchema } = await import('#app/utils/support-schemas.ts')
    const bad = 'Dana\r\nBcc: x@y'
    for (const schema of [PersonName, WorkspaceName, CustomerName]) {
      expect(schema.safeParse(bad).success).toBe(false)
    }
    const mailbox = MailboxFields.safeParse({ name: bad, address: 'help@example.com', fromName: bad })
    expect(mailbox.success ? [] : mailbox.error.issues.map((i) => i.path.join('.'))).toEqual([
      'name',
      'fromName',
    ])
    expect(SupportRequestSchema.shape.name.safeParse(bad).success).toBe(false)
  })
})

describe('a limit counts what the field’s maxlength counts: UTF-16 code units', () => {
  // Zod's `.max` counts code points: 250 emoji passed the subject's 250 (500 units), while its
  // field (maxLength 250) takes 125; a tag or a name the same.
  const emoji = (n: number) => '\u{1F600}'.repeat(n)

  it('subjects, names and tags: emoji up to the limit in units, one more refused with the field’s message', () => {
    expect(Subject.safeParse(emoji(MAX_SUBJECT_CHARS / 2)).success).toBe(true)
    expect(messages(Subject.safeParse(emoji(MAX_SUBJECT_CHARS / 2 + 1)))).toEqual([
      `Use at most ${MAX_SUBJECT_CHARS} characters`,
    ])
    expect(PersonName.safeParse(emoji(50)).success).toBe(true)
    expect(messages(PersonName.safeParse(emoji(51)))).toEqual(['Use at most 100 characters'])
    expect(TagName.safeParse(emoji(TAG_NAME_MAX / 2)).success).toBe(true)
    expect(messages(TagName.safeParse(emoji(TAG_NAME_MAX / 2 + 1)))).toEqual([
      `Use at most ${TAG_NAME_MAX} characters`,
    ])
    // One message, not two, when the code points are over the limit too.
    expect(messages(PersonName.safeParse('a'.repeat(101)))).toEqual(['Use at most 100 characters'])
  })

  it('a tag is measured again after NFC, which makes some characters longer', () => {
    // U+0958 (a composition exclusion) is two code units in NFC: 50 typed, 100 stored.
    expect('\u0958'.normalize('NFC')).toHaveLength(2)
    expect(messages(TagName.safeParse('\u0958'.repeat(TAG_NAME_MAX)))).toEqual([
      `Use at most ${TAG_NAME_MAX} characters`,
    ])
    expect(TagName.safeParse('\u0958'.repeat(TAG_NAME_MAX / 2)).success).toBe(true)
  })
})
