import { describe, expect, it } from 'vitest'
import { describeStartupError } from '#app/startup-error.server.ts'

/** An error as Node's fs and net raise them. */
function errno(message: string, fields: Record<string, unknown>) {
  return Object.assign(new Error(message), fields)
}

describe('describeStartupError', () => {
  it('says in plain words that the database cannot be reached, without a stack', () => {
    const refused = errno('connect ECONNREFUSED 10.0.0.5:5432', {
      code: 'ECONNREFUSED',
      address: '10.0.0.5',
      port: 5432,
    })
    expect(describeStartupError(refused, '/data')).toBe(
      'the database at 10.0.0.5:5432 could not be reached (ECONNREFUSED): is PostgreSQL running there, and is DATABASE_URL right?',
    )
    const unknownHost = errno('getaddrinfo ENOTFOUND db.internal', {
      code: 'ENOTFOUND',
      hostname: 'db.internal',
    })
    expect(describeStartupError(unknownHost, '/data')).toContain(
      'the database at db.internal could not be reached',
    )
    const timeout = new Error('Connection terminated due to connection timeout')
    expect(describeStartupError(timeout, '/data')).toContain('DATABASE_CONNECT_TIMEOUT_MS')
  })

  it('gives PostgreSQL’s own refusal with its SQLSTATE', () => {
    const refused = errno('password authentication failed for user "switchboard"', {
      code: '28P01',
      severity: 'FATAL',
    })
    expect(describeStartupError(refused, '/data')).toBe(
      'PostgreSQL refused: password authentication failed for user "switchboard" (SQLSTATE 28P01)',
    )
  })

  it('says in plain words that the disk is full', () => {
    const full = errno('ENOSPC: no space left on device, write', { code: 'ENOSPC', syscall: 'write' })
    expect(describeStartupError(full, '/srv/data')).toBe(
      'The disk is full (ENOSPC writing in DATA_DIR /srv/data). Switchboard keeps the embedded PostgreSQL, its log, uploads and the session secret in DATA_DIR /srv/data: free space on its disk (or point DATA_DIR at one with room) and start again.',
    )
    const quota = errno('EDQUOT: disk quota exceeded', { code: 'EDQUOT', path: '/srv/data/files/x' })
    expect(describeStartupError(quota, '/srv/data')).toContain(
      'The disk quota is used up (EDQUOT writing /srv/data/files/x)',
    )
  })
})
