import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '#db/embedded.ts'
import { findRunningPostmaster } from '#db/running-postgres.ts'

// The server runs the embedded PostgreSQL on DATA_DIR/postgres; the scripts, run beside it,
// must use that server rather than fail to start a second one on the same directory.
let dataDir: string
let server: EmbeddedDatabase

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-seed-'))
  fs.chmodSync(dataDir, 0o755) // initdb runs as a separate postgres user under root
  server = await startEmbeddedPostgres(path.join(dataDir, 'postgres'))
})

afterAll(async () => {
  await server?.stop()
  fs.rmSync(dataDir, { recursive: true, force: true })
})

function runScript(script: string, args: string[], env: Record<string, string>) {
  const { DATABASE_URL: _ignored, ...inherited } = process.env
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...inherited, LOG_LEVEL: 'silent', ...env },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  )
}

// Script runs start tsx and migrate: 13-14 s a run on the slower 2-core machine of 2026-12-02.
describe('database scripts beside a running server', { timeout: 60_000 }, () => {
  it('finds the running postmaster and its port from postmaster.pid', () => {
    const running = findRunningPostmaster(path.join(dataDir, 'postgres'))
    expect(running?.port).toBe(Number(new URL(server.url).port))
  })

  it('migrates and seeds the running database, and leaves it running', async () => {
    const migrate = await runScript('scripts/migrate.ts', [], { DATA_DIR: dataDir })
    expect(migrate.stderr).toBe('')
    expect(migrate.code).toBe(0)
    expect(migrate.stdout).toContain('Using the embedded PostgreSQL already running')
    expect(migrate.stdout).toContain('Migrations applied.')

    // As run beside a server started on another port, without APP_URL.
    const seed = await runScript('scripts/seed.ts', ['--demo'], { DATA_DIR: dataDir, APP_URL: '', PORT: '' })
    expect(seed.stderr).toBe('')
    expect(seed.code).toBe(0)
    expect(seed.stdout).toContain('Demo workspace ready')
    expect(seed.stdout).toContain(
      '(APP_URL is not set, so that address is http://localhost:PORT with this shell\'s PORT, 3000. A server started on another port names its address in its "Switchboard listening on" line: use that.)',
    )

    const client = new pg.Client({ connectionString: server.url })
    await client.connect()
    const { rows } = await client.query(`select count(*)::int as n from tickets t
      join workspaces w on w.id = t.workspace_id where w.slug = 'demo'`)
    // Every email the demo queued is to a reserved domain (RFC 2606): a server sending through
    // SendGrid emailed ~60 addresses at gmail.com, outlook.com and real-looking companies.
    const sent = await client.query<{ to: string }>(`select e.to_address as to from emails e
      join workspaces w on w.id = e.workspace_id where w.slug = 'demo'`)
    await client.end()
    expect(rows[0].n).toBeGreaterThan(0)
    expect(sent.rows.length).toBeGreaterThan(10)
    for (const { to } of sent.rows)
      expect(to).toMatch(/@(example\.(com|net|org)|[a-z0-9.-]+\.(example|test))$/)
  })

  it('says plainly what to do when the running server refuses the connection', async () => {
    // A live postgres process named in the pid file, on a port where nothing listens.
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-seed-'))
    try {
      fs.mkdirSync(path.join(other, 'postgres'))
      const { pid } = findRunningPostmaster(path.join(dataDir, 'postgres'))!
      const pidFile = [
        pid,
        path.join(other, 'postgres'),
        '0',
        await freePort(),
        '',
        '127.0.0.1',
        '0',
        'ready',
      ]
      fs.writeFileSync(path.join(other, 'postgres', 'postmaster.pid'), pidFile.join('\n') + '\n')

      const seed = await runScript('scripts/seed.ts', ['--demo'], { DATA_DIR: other })
      expect(seed.code).toBe(1)
      expect(seed.stderr).toContain('is running (pid')
      expect(seed.stderr).toContain('Stop the Switchboard server that uses this DATA_DIR')
      expect(seed.stderr).not.toContain('triggerUncaughtException')
      expect(seed.stderr).not.toMatch(/^\s+at /m) // no stack trace
    } finally {
      fs.rmSync(other, { recursive: true, force: true })
    }
  })
})
