import { describe, expect, it } from 'vitest'
import { supportPageTitle } from '#app/components/support-form-page.tsx'

describe('supportPageTitle', () => {
  it('says "support" once, also for a workspace whose name ends with it', () => {
    expect(supportPageTitle('Acme')).toBe('Contact Acme support')
    expect(supportPageTitle('Acme Support')).toBe('Contact Acme Support')
    expect(supportPageTitle('Helpdesk support ')).toBe('Contact Helpdesk support ')
    expect(supportPageTitle('Supportive Co')).toBe('Contact Supportive Co support')
  })
})
