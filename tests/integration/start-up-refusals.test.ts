import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '#db/embedded.ts'
import { killServers, startServer } from '#tests/helpers/server-process.ts'

// The production build (server and worker) refusing to start as an operator meets it: one plain
// message naming what is wrong, exit code 1, and no stack trace.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-refusals-'))
fs.chmodSync(dataDir, 0o755) // as root, an embedded PostgreSQL runs as the postgres user
const WORKER = [process.execPath, 'build/worker.js']
/** A line of a JavaScript stack trace. */
const STACK_LINE = /^\s+at .+[:(]/m

const mounts: string[] = []

afterAll(() => {
  killServers()
  for (const mount of mounts) execFileSync('umount', [mount])
  fs.rmSync(dataDir, { recursive: true, force: true })
})

/** Starts the command with `env` and returns its output once it has exited with code 1. */
async function refusal(env: Record<string, string>, command?: string[], databaseUrl?: string) {
  const child = await startServer({ dataDir, env, command, databaseUrl, waitReady: false })
  const { code } = await child.exited
  const output = child.output()
  expect(code, output).toBe(1)
  expect(output).not.toMatch(STACK_LINE)
  return output
}

describe('npm run worker', () => {
  it('refuses to start without DATABASE_URL, SESSION_SECRET and APP_URL, naming each and saying they must match the web instances', async () => {
    const output = await refusal({ SESSION_SECRET: '', APP_URL: '' }, WORKER)
    expect(output).toContain('set these to the same values as the web instances')
    for (const name of ['DATABASE_URL', 'SESSION_SECRET', 'APP_URL'])
      expect(output).toContain(`  - ${name} (`)
    // It made no secret of its own.
    expect(fs.existsSync(path.join(dataDir, 'session-secret'))).toBe(false)
  })

  it('names an invalid variable without a stack trace', async () => {
    const output = await refusal({ PORT: 'eighty' }, WORKER, 'postgres://x@127.0.0.1:1/x')
    expect(output).toContain('PORT: PORT must be')
  })

  it('says in plain words that the database cannot be reached', async () => {
    const port = await freePort()
    const output = await refusal({}, WORKER, `postgres://u:secret-pw@127.0.0.1:${port}/x`)
    expect(output).toContain(`the database at 127.0.0.1:${port} could not be reached (ECONNREFUSED)`)
    expect(output).not.toContain('secret-pw')
  })
})

describe('the web server', () => {
  it('refuses an APP_URL without a scheme before anything starts, naming it', async () => {
    const output = await refusal({ APP_URL: 'localhost:3461' })
    expect(output).toContain('APP_URL: APP_URL must start with http:// or https://')
    expect(fs.existsSync(path.join(dataDir, 'postgres'))).toBe(false)
  })
})

describe('the web server with a TRUST_PROXY it cannot use', () => {
  it('names TRUST_PROXY before the database starts', async () => {
    for (const value of ['bogus', 'true']) {
      const output = await refusal({ TRUST_PROXY: value })
      expect(output).toContain('TRUST_PROXY: TRUST_PROXY must')
      expect(fs.existsSync(path.join(dataDir, 'postgres'))).toBe(false)
    }
  })
})

describe('the web server on a full disk', () => {
  it('says the disk is full, in plain words, and leaves no empty session secret behind', async (context) => {
    const full = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-full-'))
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full], { stdio: 'ignore' })
      mounts.push(full)
    } catch {
      return context.skip('cannot mount a small file system here')
    }
    try {
      fs.writeFileSync(path.join(full, 'filler'), Buffer.alloc(1024 * 1024))
    } catch {
      // ENOSPC: the disk is full, as intended.
    }
    // Without SESSION_SECRET the first write is the secret's; with it, the embedded PostgreSQL's.
    for (const env of [{ SESSION_SECRET: '' }, {}] as Array<Record<string, string>>) {
      const child = await startServer({ dataDir: full, env, waitReady: false })
      const { code } = await child.exited
      const output = child.output()
      expect(code, output).toBe(1)
      expect(output).not.toMatch(STACK_LINE)
      expect(output).toContain('Switchboard failed to start: The disk is full (ENOSPC writing ')
      if (env.SESSION_SECRET === '') expect(fs.readdirSync(full)).toEqual(['filler'])
    }
  })
})
