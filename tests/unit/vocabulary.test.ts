import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { membershipRole, ticketPriority, ticketStatus } from '#db/schema.ts'
import {
  PRIORITY_LABEL,
  ROLES,
  STATUS_BADGE,
  STATUS_LABEL,
  TICKET_PRIORITIES,
  TICKET_STATUSES,
} from '#app/utils/vocabulary.ts'

describe('vocabulary', () => {
  it('lists exactly the values the database enums accept', () => {
    expect([...ROLES]).toEqual(membershipRole.enumValues)
    expect([...TICKET_STATUSES]).toEqual(ticketStatus.enumValues)
    expect([...TICKET_PRIORITIES]).toEqual(ticketPriority.enumValues)
  })

  it('has a label and a badge for every status and a label for every priority', () => {
    // The badge's colours are a class of app/tailwind.css.
    const css = readFileSync(new URL('../../app/tailwind.css', import.meta.url), 'utf8')
    for (const s of TICKET_STATUSES) {
      expect(STATUS_LABEL[s]).toMatch(/^[A-Z]/)
      const rule = new RegExp(
        `\\.${STATUS_BADGE[s]} \\{\\s*@apply [^;]*\\bbg-[a-z]+-\\d+ [^;]*\\btext-[a-z]+-\\d+`,
      )
      expect(css).toMatch(rule)
    }
    for (const p of TICKET_PRIORITIES) expect(PRIORITY_LABEL[p]).toMatch(/^[A-Z]/)
  })
})
