import { describe, expect, it } from 'vitest'
import { loggablePath } from '#app/logger.server.ts'

describe('loggablePath', () => {
  it('masks the token of an invitation link', () => {
    expect(loggablePath('/invite/Zm9vYmFyYmF6cXV4')).toBe('/invite/[token]')
  })

  it('masks the token of an invitation link but keeps its query string', () => {
    expect(loggablePath('/invite/Zm9vYmFy?next=%2Fw%2Facme')).toBe('/invite/[token]?next=%2Fw%2Facme')
  })

  it('masks the token of a support portal link and keeps the rest of the path', () => {
    expect(loggablePath('/support/t/c2VjcmV0dG9rZW4/messages')).toBe('/support/t/[token]/messages')
  })

  it('leaves paths without a token unchanged', () => {
    expect(loggablePath('/w/acme/tickets/42')).toBe('/w/acme/tickets/42')
    expect(loggablePath('/invite')).toBe('/invite')
    expect(loggablePath('/support')).toBe('/support')
  })

  it('does not mask a segment that merely looks like a token route deeper in the path', () => {
    expect(loggablePath('/w/acme/invite/settings')).toBe('/w/acme/invite/settings')
  })
})
