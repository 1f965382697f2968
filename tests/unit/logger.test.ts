import { describe, expect, it } from 'vitest'
import { LOGGED_SQL_LIMIT, loggablePath, serializeError } from '#app/logger.server.ts'

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

describe('loggablePath whatever the spelling of a token path', () => {
  const SECRET = 'S3cr3tT0k3nValue_abcdefghijkl'
  /** Every spelling of each token route leaves the secret out of what is logged. */
  const spellings = (route: string) => {
    const slashes = route.split('/')
    return [
      `${route}/${SECRET}`,
      `/${route}/${SECRET}`,
      `//${route}/${SECRET}`,
      `///${route}//${SECRET}`,
      `${slashes.join('//')}/${SECRET}`,
      `${slashes.join('///')}///${SECRET}`,
      `${route}//${SECRET}`,
      `${route}/${SECRET}/`,
      `${route}/${SECRET}//`,
      `${route.toUpperCase()}/${SECRET}`,
      `${slashes.join('%2F')}/${SECRET}`,
      `${slashes.join('%2f')}%2F${SECRET}`,
      `${route}%2F${SECRET}`,
      `${slashes.join('\\')}\\${SECRET}`,
      `/x/..${route}/${SECRET}`,
      `/.${route}/./${SECRET}`,
      `${route}/${SECRET}.data`,
      `${route}/${encodeURIComponent(SECRET)}/extra`,
    ]
  }

  it('never logs the token of any token route, however its slashes, case and encoding are written', () => {
    for (const route of [
      '/invite',
      '/support/t',
      '/reset-password',
      '/verify-email',
      '/notifications/unsubscribe',
      '/webhooks/sendgrid/inbound',
    ]) {
      for (const path of spellings(route)) {
        const logged = loggablePath(path)
        expect(logged, path).not.toContain(SECRET)
        expect(logged, path).toContain('[token]')
        expect(loggablePath(`/login?redirectTo=${encodeURIComponent(path)}`), path).not.toContain(SECRET)
      }
    }
  })

  it('keeps the spelling of what it does not mask', () => {
    expect(loggablePath('/webhooks/sendgrid/inbound//S3cr3t')).toBe('/webhooks/sendgrid/inbound//[token]')
    expect(loggablePath('//reset-password/abc')).toBe('//reset-password/[token]')
    expect(loggablePath('/support/t//abc/files/9')).toBe('/support/t//[token]/files/9')
    expect(loggablePath('/w//acme/tickets')).toBe('/w//acme/tickets')
    expect(loggablePath('/w/acme/../invite')).toBe('/w/acme/../invite')
  })
})

describe('loggablePath in the forms routing accepts', () => {
  it('masks single-fetch .data variants and keeps the suffix', () => {
    expect(loggablePath('/invite/Zm9vYmFy.data')).toBe('/invite/[token].data')
    expect(loggablePath('/support/t/c2VjcmV0.data')).toBe('/support/t/[token].data')
  })

  it('masks whatever the case or percent-encoding of the route name', () => {
    expect(loggablePath('/INVITE/Zm9vYmFy')).toBe('/INVITE/[token]')
    expect(loggablePath('/%69nvite/Zm9vYmFy')).toBe('/%69nvite/[token]')
    expect(loggablePath('/Support/%74/c2VjcmV0')).toBe('/Support/%74/[token]')
  })

  it('masks a token in a path whose percent-encoding is malformed', () => {
    expect(loggablePath('/invite/Zm9vYmFy%zz')).toBe('/invite/[token]')
  })

  it('masks a password reset token, should such a route be added', () => {
    expect(loggablePath('/reset-password/Zm9vYmFy')).toBe('/reset-password/[token]')
  })

  it('masks secret-looking query parameters and paths carried in the query', () => {
    expect(loggablePath('/login?token=abc&redirectTo=%2Finvite%2FZm9vYmFy&index')).toBe(
      '/login?token=[redacted]&redirectTo=%2Finvite%2F%5Btoken%5D&index',
    )
    expect(loggablePath('/x?api_key=1&password=2&code=3&q=hello')).toBe(
      '/x?api_key=[redacted]&password=[redacted]&code=[redacted]&q=hello',
    )
    expect(loggablePath('/invite/Zm9vYmFy.data?_routes=routes%2Finvite.%24token')).toBe(
      '/invite/[token].data?_routes=routes%2Finvite.%24token',
    )
  })
})

describe('serializeError', () => {
  /** Shaped like pg's DatabaseError for a bad bound value. */
  function pgError(message: string, fields: Record<string, unknown>) {
    return Object.assign(new Error(message), fields)
  }

  it('drops bound parameters and the "params:" part of a Drizzle message, in message and stack', () => {
    const cause = pgError('null value in column "name" violates not-null constraint', {
      code: '23502',
      detail: 'Failing row contains (1, null, scrypt$hash-secret).',
    })
    const error = Object.assign(
      new Error('Failed query: insert into "users" values ($1, $2)\nparams: a@b.c,scrypt$hash-secret'),
      { query: 'insert into "users" values ($1, $2)', params: ['a@b.c', 'scrypt$hash-secret'], cause },
    )
    const out = JSON.stringify(serializeError(error))
    expect(out).not.toContain('hash-secret')
    expect(out).not.toContain('a@b.c')
    expect(out).toContain('Failed query: insert into \\"users\\" values ($1, $2)')
    expect(out).toContain('Failing row contains ([redacted])')
    expect(out).toContain('23502')
  })

  it('drops parameters under the other names libraries use, and the value in a type error', () => {
    const error = pgError('invalid input syntax for type uuid: "s3cr3t-value"', {
      parameters: ['s3cr3t-value'],
      where: "unnamed portal parameter $1 = 's3cr3t-value'",
    })
    const out = JSON.stringify(serializeError(error))
    expect(out).not.toContain('s3cr3t-value')
    expect(out).toContain('invalid input syntax for type uuid: \\"[redacted]\\"')
  })

  it('truncates long SQL', () => {
    const query = `select ${'x, '.repeat(1000)}1`
    const out = serializeError(Object.assign(new Error('boom'), { query })) as { query: string }
    expect(out.query.length).toBeLessThan(LOGGED_SQL_LIMIT + 30)
  })

  it('keeps ordinary errors readable and leaves non-errors alone', () => {
    const out = serializeError(new TypeError('nope')) as { type: string; message: string; stack: string }
    expect(out).toMatchObject({ type: 'TypeError', message: 'nope' })
    expect(out.stack).toMatch(/^TypeError: nope\n {4}at /)
    expect(serializeError('text')).toBe('text')
  })
})

describe("serializeError: an error's own fields", () => {
  it('keeps plain values and small plain objects, and names class instances instead of copying them', () => {
    class Client {
      connectionParameters = { host: 'db', password: 'x'.repeat(50) }
      types = Array.from({ length: 1000 }, (_, i) => i)
    }
    const error = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
      severity: 'FATAL',
      position: 3,
      data: { jobId: 'j1' },
      client: new Client(),
      big: { list: Array.from({ length: 2000 }, (_, i) => i) },
      callback: () => undefined,
    })
    const out = serializeError(error) as Record<string, unknown>
    expect(out).toMatchObject({ code: '57P01', severity: 'FATAL', position: 3, data: { jobId: 'j1' } })
    expect(out.client).toBe('[Client]')
    expect(out.big).toBe('[too large to log]')
    expect(out.callback).toBe('[function]')
    expect(JSON.stringify(out).length).toBeLessThan(2_000)
  })
})

describe('the secrets we issue, wherever they appear', () => {
  const PAT = 'sb_pat_AbCdEfGhIjKlMnOpQrStUvWxYz01231a2B3c'
  const WHSEC = 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI='

  it('masks an API token or a signing secret in any path segment, in every spelling routing reads', () => {
    for (const path of [
      `/api/v1/${PAT}`,
      `/${PAT}`,
      `/${PAT}.data`,
      `/api/v1/tickets/${PAT}/messages`,
      `/w/acme/${WHSEC}`,
      `/api/v1/${PAT.replace('_', '%5F')}`,
      `/api/v1/${PAT.toUpperCase()}`,
    ]) {
      const logged = loggablePath(path)
      expect(logged, path).toContain('[token]')
      expect(logged.toLowerCase(), path).not.toContain('abcdefghijkl')
      expect(logged, path).not.toContain('c2VjcmV0c2Vj')
    }
    expect(loggablePath(`/api/v1/tickets/${PAT}/messages`)).toBe('/api/v1/tickets/[token]/messages')
  })

  it('masks them in a query value whatever its name, and as a bare query parameter', () => {
    expect(loggablePath(`/search?q=${PAT}&page=2`)).toBe('/search?q=[redacted]&page=2')
    expect(loggablePath(`/search?${PAT}`)).toBe('/search?[redacted]')
  })

  it('masks them in an error’s message, stack and string fields', () => {
    const error = Object.assign(new Error(`No route matches URL "/api/v1/${PAT}"`), { url: `/x/${WHSEC}` })
    const out = JSON.stringify(serializeError(error))
    expect(out).toContain('sb_pat_[redacted]')
    expect(out).toContain('whsec_[redacted]')
    expect(out).not.toContain('AbCdEfGh')
    expect(out).not.toContain('c2VjcmV0c2Vj')
  })
})
