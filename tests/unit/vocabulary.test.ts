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
    for (const s of TICKET_STATUSES) {
      expect(STATUS_LABEL[s]).toMatch(/^[A-Z]/)
      expect(STATUS_BADGE[s]).toContain('bg-')
    }
    for (const p of TICKET_PRIORITIES) expect(PRIORITY_LABEL[p]).toMatch(/^[A-Z]/)
  })
})
