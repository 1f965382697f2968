import { describe, expect, it } from 'vitest'
import { MAILBOX_KEY_MAX, MailboxKey, mailboxKeyFrom } from '#app/utils/mailbox-schemas.ts'
import { RESERVED_SLUGS, slugify, WorkspaceSlug } from '#app/utils/schemas.ts'
import { slugFrom, slugSchema } from '#app/utils/slugs.ts'

function messages(result: { success: boolean; error?: { issues: { message: string }[] } }) {
  return result.error?.issues.map((issue) => issue.message) ?? []
}

const PATTERN_ERROR = 'Use lowercase letters, digits and hyphens (not at the start or end)'

describe('slugSchema', () => {
  const rule = slugSchema({ min: 3, max: 8, reserved: ['admin'], reservedError: 'Taken by us' })

  it('trims and lower-cases, then accepts letters, digits and inner hyphens', () => {
    expect(rule.parse('  Ab-C9 ')).toBe('ab-c9')
    expect(rule.parse('a--b')).toBe('a--b')
  })

  it.each(['-abc', 'abc-', 'ab c', 'ab.c', 'ab_c', 'café', 'ab/c'])('refuses %j by the pattern', (slug) => {
    expect(messages(rule.safeParse(slug))).toContain(PATTERN_ERROR)
  })

  it('applies the lengths it is given', () => {
    expect(messages(rule.safeParse('ab'))).toContain('Use at least 3 characters')
    expect(rule.parse('a'.repeat(8))).toBe('a'.repeat(8))
    expect(messages(rule.safeParse('a'.repeat(9)))).toContain('Use at most 8 characters')
  })

  it('refuses its reserved words in any case, with its own message', () => {
    expect(messages(rule.safeParse('Admin'))).toEqual(['Taken by us'])
    expect(rule.parse('admins')).toBe('admins')
  })

  it('without a minimum still needs one character', () => {
    expect(messages(slugSchema({ max: 5 }).safeParse(''))).toEqual([PATTERN_ERROR])
    expect(slugSchema({ max: 5 }).parse('x')).toBe('x')
  })
})

describe('slugFrom', () => {
  it('suggests a slug within the length it is given, never ending in a hyphen', () => {
    expect(slugFrom('Billing & Refunds', 40)).toBe('billing-refunds')
    expect(slugFrom('Billing & Refunds', 8)).toBe('billing')
    expect(slugFrom('Zoë’s Café', 40)).toBe('zoe-s-cafe')
    expect(slugFrom('東京', 40)).toBe('')
  })

  it('always gives what the schema of the same length accepts, when it gives anything', () => {
    const names = [
      'Acme Support',
      '  --Acme & Sons, Ltd.!-- ',
      `${'a'.repeat(39)} support`,
      'ÅLAND — Care',
      '#2',
    ]
    for (const max of [5, 40]) {
      for (const name of names) {
        expect(slugSchema({ max }).safeParse(slugFrom(name, max)).success, `${name} / ${max}`).toBe(true)
      }
    }
  })
})

describe('workspace slugs and mailbox keys share the rule', () => {
  it('suggest the same slug for the same name', () => {
    for (const name of ['Billing & Refunds', 'Café Ünïcorn', 'a'.repeat(60)]) {
      expect(slugify(name)).toBe(mailboxKeyFrom(name))
    }
  })

  it('refuse the same characters with the same message', () => {
    for (const slug of ['-x-', 'a b', 'a.b']) {
      expect(messages(WorkspaceSlug.safeParse(slug))).toContain(PATTERN_ERROR)
      expect(messages(MailboxKey.safeParse(slug))).toContain(PATTERN_ERROR)
    }
  })

  it('differ only where a workspace URL needs it: a minimum of 2 and reserved words', () => {
    expect(MailboxKey.parse('a')).toBe('a')
    expect(WorkspaceSlug.safeParse('a').success).toBe(false)
    for (const word of RESERVED_SLUGS) {
      expect(MailboxKey.parse(word)).toBe(word)
      expect(messages(WorkspaceSlug.safeParse(word))).toEqual(['This URL is reserved'])
    }
    expect(messages(MailboxKey.safeParse('k'.repeat(MAILBOX_KEY_MAX + 1)))).toEqual([
      `Use at most ${MAILBOX_KEY_MAX} characters`,
    ])
  })
})
