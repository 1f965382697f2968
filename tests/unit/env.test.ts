import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EnvError, defaultDatabasePoolSize, parseEnv } from '#app/env.server.ts'

let dataDir: string

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-env-'))
})

afterEach(() => {
  fs.rmSync(dataDir, { recursive: true, force: true })
})

const productionEnv = {
  APP_ENV: 'production',
  SESSION_SECRET: 's'.repeat(32),
  APP_URL: 'https://help.example.com',
  DATABASE_URL: 'postgres://switchboard:pw@db:5432/switchboard',
  SENDGRID_API_KEY: 'SG.test-key',
}

/** A plain object as the environment; Remix's types make NODE_ENV required, the parser does not. */
function parse(vars: Record<string, string>) {
  return parseEnv(vars as NodeJS.ProcessEnv)
}

function parseError(vars: Record<string, string>) {
  try {
    parse(vars)
  } catch (error) {
    return error
  }
  throw new Error('parseEnv accepted the configuration')
}

/** Each value of `name` is refused with its message: "NAME: NAME <says>". */
function expectRefused(name: string, cases: Array<[value: string, says: string]>) {
  for (const [value, says] of cases) {
    const error = parseError({ DATA_DIR: dataDir, [name]: value })
    expect((error as EnvError).message).toContain(`${name}: ${name} ${says}`)
  }
}

describe('parseEnv in the local profile', () => {
  it('runs with nothing set but a data directory, filling in every default and listing them', () => {
    const env = parse({ DATA_DIR: dataDir })
    expect(env).toMatchObject({
      appEnv: 'local',
      isProduction: false,
      port: 3000,
      host: '127.0.0.1',
      dataDir,
      databaseUrl: undefined,
      appUrl: 'http://localhost:3000',
      sendgridApiKey: undefined,
      inboundDomain: 'inbound.localhost',
      logLevel: 'info',
      runWorker: true,
      trustProxy: 'loopback',
    })
    expect(env.defaultsUsed).toEqual([
      `session secret in ${path.join(dataDir, 'session-secret')}`,
      `embedded PostgreSQL in ${path.join(dataDir, 'postgres')}`,
      'APP_URL=http://localhost:3000',
    ])
  })

  it('reads TRUST_PROXY as a hop count or as addresses', () => {
    expect(parse({ DATA_DIR: dataDir, TRUST_PROXY: '1' }).trustProxy).toBe(1)
    expect(parse({ DATA_DIR: dataDir, TRUST_PROXY: '10.0.0.0/8, 192.168.1.1' }).trustProxy).toBe(
      '10.0.0.0/8, 192.168.1.1',
    )
  })

  it('refuses a TRUST_PROXY the server could not compile, naming it and the bad part', () => {
    const cases = [
      ['bogus', '(invalid IP address: bogus)'],
      ['10.0.0.0/99', '(invalid range on address: 10.0.0.0/99)'],
      ['loopback,', '(invalid IP address: )'],
    ]
    for (const [value, part] of cases) {
      const message = (parseError({ DATA_DIR: dataDir, TRUST_PROXY: value! }) as EnvError).message
      expect(message).toContain(
        'TRUST_PROXY: TRUST_PROXY must be loopback, linklocal, uniquelocal, a hop count such as 1, or addresses',
      )
      expect(message).toContain(part)
    }
    expectRefused('TRUST_PROXY', [['true', 'must name the proxies to trust']])
    expect(parse({ DATA_DIR: dataDir, TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe(
      'loopback, 10.0.0.0/8',
    )
  })

  it('sizes the database pool from the CPUs unless DATABASE_POOL_SIZE says otherwise', () => {
    expect(defaultDatabasePoolSize(2)).toBe(5)
    expect(defaultDatabasePoolSize(8)).toBe(17)
    expect(parse({ DATA_DIR: dataDir }).databasePoolSize).toBe(
      defaultDatabasePoolSize(os.availableParallelism()),
    )
    expect(parse({ DATA_DIR: dataDir, DATABASE_POOL_SIZE: '12' }).databasePoolSize).toBe(12)
    expectRefused('DATABASE_POOL_SIZE', [
      ['0', 'must be at least 1'],
      ['2.5', 'must be a whole number'],
      ['many', 'must be a number'],
      ['5000', 'must be at most 1000'],
    ])
  })

  it('keeps idle keep-alive connections longer than load balancers keep theirs, unless told otherwise', () => {
    // nginx and AWS's ALB reuse an idle connection for up to 60 s, Traefik 90 s, Caddy 120 s.
    expect(parse({ DATA_DIR: dataDir }).http.keepAliveTimeoutMs).toBe(125_000)
    expect(parse({ DATA_DIR: dataDir, HTTP_KEEP_ALIVE_TIMEOUT_MS: '5000' }).http.keepAliveTimeoutMs).toBe(
      5_000,
    )
    expectRefused('HTTP_KEEP_ALIVE_TIMEOUT_MS', [['10', 'must be at least 100']])
  })

  it('reads SHUTDOWN_DELAY_MS: none by default, at most two minutes', () => {
    expect(parse({ DATA_DIR: dataDir }).shutdownDelayMs).toBe(0)
    expect(parse({ DATA_DIR: dataDir, SHUTDOWN_DELAY_MS: '10000' }).shutdownDelayMs).toBe(10_000)
    expectRefused('SHUTDOWN_DELAY_MS', [
      ['-1', 'must be 0 (no delay) or more'],
      ['1.5', 'must be a whole number of milliseconds'],
      ['soon', 'must be a number of milliseconds'],
      ['600000', 'must be at most 120000 (two minutes)'],
    ])
  })

  it('derives APP_URL from PORT when APP_URL is unset', () => {
    const env = parse({ DATA_DIR: dataDir, PORT: '4100' })
    expect(env.port).toBe(4100)
    expect(env.appUrl).toBe('http://localhost:4100')
    expect(env.defaultsUsed).toContain('APP_URL=http://localhost:4100')
  })

  it('treats empty variables as unset', () => {
    const env = parse({ DATA_DIR: dataDir, DATABASE_URL: '', APP_URL: '', SESSION_SECRET: '' })
    expect(env.databaseUrl).toBeUndefined()
    expect(env.appUrl).toBe('http://localhost:3000')
    expect(env.defaultsUsed).toContain(`embedded PostgreSQL in ${path.join(dataDir, 'postgres')}`)
  })

  it('creates a private session secret file in the data directory and reuses it on the next start', () => {
    const secretFile = path.join(dataDir, 'session-secret')
    expect(fs.existsSync(secretFile)).toBe(false)

    const first = parse({ DATA_DIR: dataDir })
    expect(first.sessionSecret.length).toBeGreaterThanOrEqual(32)
    expect(fs.readFileSync(secretFile, 'utf8')).toBe(first.sessionSecret)
    expect(fs.statSync(secretFile).mode & 0o777).toBe(0o600)

    const second = parse({ DATA_DIR: dataDir })
    expect(second.sessionSecret).toBe(first.sessionSecret)
  })

  it('makes the secret again when session-secret is empty (a first write the disk refused)', () => {
    const secretFile = path.join(dataDir, 'session-secret')
    fs.writeFileSync(secretFile, '', { mode: 0o600 })
    const env = parse({ DATA_DIR: dataDir })
    expect(env.sessionSecret.length).toBeGreaterThanOrEqual(32)
    expect(fs.readFileSync(secretFile, 'utf8')).toBe(env.sessionSecret)
    expect(fs.statSync(secretFile).mode & 0o777).toBe(0o600)
    expect(parse({ DATA_DIR: dataDir }).sessionSecret).toBe(env.sessionSecret)
    // Nothing of the temporary files is left beside it, only the secret the starts agreed on.
    const [agreed, ...others] = fs.readdirSync(dataDir).filter((name) => name !== 'session-secret')
    expect(others).toEqual([])
    expect(agreed).toMatch(/^session-secret\.empty-\d+-\d+$/)
    expect(fs.readFileSync(path.join(dataDir, agreed!), 'utf8')).toBe(env.sessionSecret)
  })

  it('refuses a session-secret file shorter than 32 characters, naming the file, and keeps it', () => {
    const secretFile = path.join(dataDir, 'session-secret')
    for (const content of ['short', ' \n', 'x'.repeat(31) + '\n']) {
      fs.writeFileSync(secretFile, content)
      const error = parseError({ DATA_DIR: dataDir })
      expect(error).toBeInstanceOf(EnvError)
      expect((error as EnvError).message).toContain(
        `${secretFile} holds a secret shorter than 32 characters: it should hold the session secret`,
      )
      expect(fs.readFileSync(secretFile, 'utf8')).toBe(content)
    }
  })

  it('refuses a session-secret that is not a regular file, naming it', () => {
    const secretFile = path.join(dataDir, 'session-secret')
    fs.mkdirSync(secretFile)
    const error = parseError({ DATA_DIR: dataDir })
    expect(error).toBeInstanceOf(EnvError)
    expect((error as EnvError).message).toContain(`${secretFile} is not a regular file`)
  })

  it('keeps the secret a concurrent first start linked into place', () => {
    const secretFile = path.join(dataDir, 'session-secret')
    const theirs = 't'.repeat(64)
    fs.writeFileSync(secretFile, theirs)
    expect(parse({ DATA_DIR: dataDir }).sessionSecret).toBe(theirs)
    expect(fs.readFileSync(secretFile, 'utf8')).toBe(theirs)
  })

  it('creates a data directory that does not exist yet', () => {
    const nested = path.join(dataDir, 'not', 'there', 'yet')
    const env = parse({ DATA_DIR: nested })
    expect(fs.readFileSync(path.join(nested, 'session-secret'), 'utf8')).toBe(env.sessionSecret)
  })

  it('uses a given session secret without writing a file', () => {
    const env = parse({ DATA_DIR: dataDir, SESSION_SECRET: 'k'.repeat(40) })
    expect(env.sessionSecret).toBe('k'.repeat(40))
    expect(fs.existsSync(path.join(dataDir, 'session-secret'))).toBe(false)
    expect(env.defaultsUsed.some((d) => d.startsWith('session secret'))).toBe(false)
  })

  it('drops a trailing slash from APP_URL', () => {
    expect(parse({ DATA_DIR: dataDir, APP_URL: 'http://localhost:8080/' }).appUrl).toBe(
      'http://localhost:8080',
    )
  })

  it('refuses an APP_URL that is not an http(s) origin, saying why', () => {
    expectRefused('APP_URL', [
      ['http://localhost:3461/helpdesk/', 'must be an origin without a path (/helpdesk/)'],
      ['https://help.example.com/x', 'must be an origin without a path (/x)'],
      ['https://help.example.com/?x=1', 'must have no query (?…) or fragment (#…)'],
      ['https://help.example.com?x=1', 'must have no query (?…) or fragment (#…)'],
      ['https://help.example.com/#top', 'must have no query (?…) or fragment (#…)'],
      ['https://help.example.com/?', 'must have no query (?…) or fragment (#…)'],
      ['ftp://help.example.com', 'must start with http:// or https://'],
      ['localhost:3461', 'must start with http:// or https://'],
      ['javascript:alert(1)', 'must start with http:// or https://'],
      ['https://user:pw@help.example.com', 'must not carry a user name or password'],
      ['help desk', 'must be an absolute URL'],
    ])
    expect(parse({ DATA_DIR: dataDir, APP_URL: 'https://Help.Example.com:443/' }).appUrl).toBe(
      'https://help.example.com',
    )
    expect(parse({ DATA_DIR: dataDir, APP_URL: 'http://[::1]:3461' }).appUrl).toBe('http://[::1]:3461')
  })

  it('refuses base URLs of services that are not http(s)', () => {
    expectRefused('SENDGRID_API_BASE_URL', [['javascript:alert(1)', 'must be an http:// or https:// URL']])
    expectRefused('OPENAI_BASE_URL', [['file:///etc/passwd', 'must be an http:// or https:// URL']])
    expect(parse({ DATA_DIR: dataDir, OPENAI_BASE_URL: 'http://localhost:11434/v1/' }).ai.baseUrl).toBe(
      'http://localhost:11434/v1',
    )
  })

  it('names every invalid variable in one error', () => {
    const error = parseError({
      DATA_DIR: dataDir,
      PORT: 'eighty',
      APP_URL: 'help desk',
      DATABASE_URL: 'mysql://db/switchboard',
    })
    expect(error).toBeInstanceOf(EnvError)
    const message = (error as EnvError).message
    expect(message).toContain('PORT: PORT must be a number')
    expect(message).toContain('APP_URL: APP_URL must be an absolute URL')
    expect(message).toContain('DATABASE_URL: DATABASE_URL must be a postgres:// URL')
  })

  it('rejects a PORT outside 0–65535, saying so', () => {
    expectRefused('PORT', [
      ['65536', 'must be between 0 and 65535'],
      ['70000', 'must be between 0 and 65535'],
      ['-1', 'must be between 0 and 65535'],
      ['80.5', 'must be a whole number'],
      ['eighty', 'must be a number'],
    ])
    expect(parse({ DATA_DIR: dataDir, PORT: '65535' }).port).toBe(65535)
  })

  it('treats blank variables as unset, as empty ones', () => {
    const env = parse({ DATA_DIR: dataDir, PORT: ' ', APP_URL: '\t', TRUST_PROXY: '  ', SESSION_SECRET: ' ' })
    expect(env.port).toBe(3000)
    expect(env.appUrl).toBe('http://localhost:3000')
    expect(env.trustProxy).toBe('loopback')
    expect(env.defaultsUsed[0]).toMatch(/^session secret in /)
  })

  it('rejects a session secret shorter than 32 characters', () => {
    const error = parseError({ DATA_DIR: dataDir, SESSION_SECRET: 's'.repeat(31) })
    expect((error as EnvError).message).toContain('SESSION_SECRET must be at least 32 characters')
  })

  it('rejects an unknown APP_ENV', () => {
    const error = parseError({ DATA_DIR: dataDir, APP_ENV: 'staging' })
    expect((error as EnvError).message).toContain('APP_ENV must be "local" or "production"')
  })
})

describe('parseEnv for npm run worker', () => {
  const worker = (vars: Record<string, string>) => parseEnv(vars as NodeJS.ProcessEnv, { worker: true })

  it('fills in none of what it shares with the web instances, naming each missing one, and writes nothing', () => {
    let error: unknown
    try {
      worker({ DATA_DIR: dataDir })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(EnvError)
    const message = (error as EnvError).message
    expect(message).toContain('same values as the web instances')
    for (const name of ['DATABASE_URL', 'SESSION_SECRET', 'APP_URL'])
      expect(message).toContain(`  - ${name} (`)
    expect(fs.readdirSync(dataDir)).toEqual([])
  })

  it("starts with the web instances' database, secret and URL", () => {
    const env = worker({
      DATA_DIR: dataDir,
      DATABASE_URL: productionEnv.DATABASE_URL,
      SESSION_SECRET: productionEnv.SESSION_SECRET,
      APP_URL: productionEnv.APP_URL,
    })
    expect(env).toMatchObject({ sessionSecret: productionEnv.SESSION_SECRET, appUrl: productionEnv.APP_URL })
    expect(fs.readdirSync(dataDir)).toEqual([])
  })
})

describe('parseEnv in the production profile', () => {
  it('fills in no defaults and names every missing variable in one error', () => {
    const error = parseError({ APP_ENV: 'production', DATA_DIR: dataDir })
    expect(error).toBeInstanceOf(EnvError)
    const message = (error as EnvError).message
    for (const name of ['SESSION_SECRET', 'APP_URL', 'DATABASE_URL', 'SENDGRID_API_KEY']) {
      expect(message).toContain(name)
    }
    expect(fs.readdirSync(dataDir)).toEqual([])
  })

  it('names only the variables that are actually missing', () => {
    const { SENDGRID_API_KEY: _omitted, ...rest } = productionEnv
    const message = (parseError({ ...rest, DATA_DIR: dataDir }) as EnvError).message
    expect(message).toContain('SENDGRID_API_KEY')
    expect(message).not.toContain('SESSION_SECRET')
    expect(message).not.toContain('DATABASE_URL')
  })

  it('starts with everything set, listening on all interfaces and using no defaults', () => {
    const env = parse({ ...productionEnv, DATA_DIR: dataDir })
    expect(env).toMatchObject({
      appEnv: 'production',
      isProduction: true,
      host: '0.0.0.0',
      appUrl: 'https://help.example.com',
      databaseUrl: productionEnv.DATABASE_URL,
      sessionSecret: productionEnv.SESSION_SECRET,
      sendgridApiKey: productionEnv.SENDGRID_API_KEY,
    })
    expect(env.defaultsUsed).toEqual([])
    expect(fs.readdirSync(dataDir)).toEqual([])
  })

  it('listens on HOST when it is set', () => {
    expect(parse({ ...productionEnv, DATA_DIR: dataDir, HOST: '10.0.0.5' }).host).toBe('10.0.0.5')
  })

  it('waits 20 s for SendGrid unless SENDGRID_TIMEOUT_MS says otherwise, never longer than the claim allows', () => {
    const email = (vars: Record<string, string>) =>
      parse({ ...productionEnv, DATA_DIR: dataDir, ...vars }).email
    expect(email({})).toMatchObject({ transport: 'sendgrid', sendgridTimeoutMs: 20_000 })
    expect(email({ SENDGRID_TIMEOUT_MS: '5000' })).toMatchObject({ sendgridTimeoutMs: 5_000 })
    const error = parseError({ ...productionEnv, DATA_DIR: dataDir, SENDGRID_TIMEOUT_MS: '60000' })
    expect((error as EnvError).message).toContain('SENDGRID_TIMEOUT_MS must be at most 40000')
  })
})
