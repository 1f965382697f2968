import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort } from '#db/embedded.ts'

export type Instance = {
  url: string
  process: ChildProcess
  /** SIGTERM (a graceful stop) by default; SIGKILL for an instance that dies. */
  stop: (signal?: NodeJS.Signals) => Promise<void>
}

/**
 * Starts the production build (npm run build) as a separate process on this test file's
 * database, like one of several app instances behind a load balancer.
 */
export async function startInstance(
  databaseUrl: string,
  extraEnv: Record<string, string> = {},
): Promise<Instance> {
  const port = await freePort()
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-instance-'))
  const child = spawn(process.execPath, ['build/server.js'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      APP_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: dataDir,
      NODE_ENV: 'production',
      APP_ENV: 'local',
      RUN_WORKER: 'false',
      LOG_LEVEL: 'error',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`instance exited with ${child.exitCode}`)
    try {
      if ((await fetch(`${url}/readyz`)).ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('instance did not become ready')
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    url,
    process: child,
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => {
          fs.rmSync(dataDir, { recursive: true, force: true })
          resolve()
        })
        child.kill(signal)
      }),
  }
}
