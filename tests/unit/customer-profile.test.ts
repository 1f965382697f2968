import { describe, expect, it } from 'vitest'
import {
  companyFromEmail,
  CustomerProfileSchema,
  effectiveCompany,
  localTime,
} from '#app/utils/customer-profile.ts'

describe('companyFromEmail', () => {
  it.each([
    ['ada@acme.com', 'Acme'],
    ['ada@eu.acme.com', 'Acme'],
    ['ada@acme.co.uk', 'Acme'],
    ['ada@shop.acme.com.au', 'Acme'],
    ['ada@ACME.io', 'Acme'],
    ['ada@acme.de', 'Acme'],
  ])('derives %s → %s', (email, company) => {
    expect(companyFromEmail(email)).toBe(company)
  })

  it.each([
    'a@gmail.com',
    'a@outlook.com',
    'a@yahoo.com',
    'a@yahoo.co.uk',
    'a@hotmail.fr',
    'a@icloud.com',
    'a@proton.me',
    'a@example.net',
    'nodomain',
    'a@localhost',
  ])('derives nothing from %s', (email) => {
    expect(companyFromEmail(email)).toBeNull()
  })

  it('prefers what agents set, including an empty company', () => {
    expect(effectiveCompany({ company: null, email: 'a@acme.com' })).toBe('Acme')
    expect(effectiveCompany({ company: 'Acme Labs', email: 'a@acme.com' })).toBe('Acme Labs')
    expect(effectiveCompany({ company: '', email: 'a@acme.com' })).toBe('')
  })
})

describe('time zones', () => {
  it('stores a listed IANA zone under its listed name, and refuses offsets and unknown zones', () => {
    const zone = (timeZone: string) => CustomerProfileSchema.safeParse({ intent: 'profile', timeZone })
    expect(zone('europe/paris').data?.timeZone).toBe('Europe/Paris')
    // Offsets are not zones (Intl accepts them), nor is a name this runtime does not know.
    for (const refused of ['+05:30', '-14:00', 'Mars/Base']) {
      expect(zone(refused).success, refused).toBe(false)
      expect(zone(refused).error?.issues[0]?.message).toBe(
        'Unknown time zone: use a name such as Europe/Paris',
      )
    }
  })

  it('shows the local time at the given instant as HH:MM', () => {
    expect(localTime('2026-07-01T12:05:00Z', 'Europe/Paris')).toBe('14:05')
    expect(localTime('2026-01-01T00:30:00Z', 'America/New_York')).toBe('19:30')
  })

  it('reads an empty time zone as unknown', () => {
    const parsed = CustomerProfileSchema.parse({ intent: 'profile', timeZone: undefined, notes: '  hi  ' })
    expect(parsed).toMatchObject({ timeZone: null, notes: 'hi', company: '' })
  })
})
