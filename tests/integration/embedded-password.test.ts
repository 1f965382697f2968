import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { EmbeddedPostgresError, startEmbeddedPostgres, type EmbeddedDatabase } from '#db/embedded.ts'
import {
  embeddedDatabaseUrl,
  embeddedPasswordFile,
  LEGACY_EMBEDDED_PASSWORD,
  runningEmbeddedPassword,
} from '#db/running-postgres.ts'

// The embedded PostgreSQL's superuser listens on loopback TCP, which every local user can reach:
// its password is its own per DATA_DIR, never the one the code (and every install) shares.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-embedded-password-'))
fs.chmodSync(dataDir, 0o755) // as root, initdb and postgres run as the postgres user
const pgDir = path.join(dataDir, 'postgres')
const passwordFile = embeddedPasswordFile(pgDir)
let embedded: EmbeddedDatabase | undefined

afterAll(async () => {
  await embedded?.stop()
  fs.rmSync(dataDir, { recursive: true, force: true })
})

/** Signs in over loopback TCP, as another local user could: the SQLSTATE of a refusal, or 'ok'. */
async function tcpSignIn(password: string) {
  const port = Number(new URL(embedded!.url).port)
  // Without ?host=, node-postgres uses TCP to 127.0.0.1.
  const url = embeddedDatabaseUrl(port, 'postgres', password, '')
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {})
  try {
    await client.connect()
    return 'ok'
  } catch (error) {
    return (error as { code?: string }).code ?? String(error)
  } finally {
    await client.end().catch(() => {})
  }
}

describe('the embedded PostgreSQL password', { timeout: 90_000 }, () => {
  it('is random per DATA_DIR, kept in a private file, and the shared one no longer signs in', async () => {
    embedded = await startEmbeddedPostgres(pgDir)
    const password = fs.readFileSync(passwordFile, 'utf8')
    expect(password.length).toBeGreaterThanOrEqual(32)
    expect(fs.statSync(passwordFile).mode & 0o777).toBe(0o600)
    expect(runningEmbeddedPassword(pgDir)).toBe(password)
    expect(await tcpSignIn(password)).toBe('ok')
    expect(await tcpSignIn(LEGACY_EMBEDDED_PASSWORD)).toBe('28P01')
  })

  it('replaces the shared password of a cluster made before, on its next start', async () => {
    // As a cluster made by an older version: the shared password, and no file.
    const client = new pg.Client({ connectionString: embedded!.url })
    await client.connect()
    await client.query(`alter role switchboard password '${LEGACY_EMBEDDED_PASSWORD}'`)
    await client.end()
    await embedded!.stop()
    fs.rmSync(passwordFile)

    embedded = await startEmbeddedPostgres(pgDir)
    const password = fs.readFileSync(passwordFile, 'utf8')
    expect(password).not.toBe(LEGACY_EMBEDDED_PASSWORD)
    expect(await tcpSignIn(password)).toBe('ok')
    expect(await tcpSignIn(LEGACY_EMBEDDED_PASSWORD)).toBe('28P01')
  })

  it('refuses a password file it cannot use, naming it', async () => {
    await embedded!.stop()
    embedded = undefined
    fs.writeFileSync(passwordFile, 'short')
    const error = await startEmbeddedPostgres(pgDir).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EmbeddedPostgresError)
    expect((error as Error).message).toContain(`${passwordFile} holds a secret shorter than 32 characters`)
  })
})
