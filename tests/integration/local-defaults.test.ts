import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { killServers, signalAndWait, startServer } from '#tests/helpers/server-process.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { waitFor } from '#tests/helpers/wait.ts'

// The local profile's defaults as the production build fills them in, read from its banner.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-local-defaults-'))

afterAll(() => {
  killServers()
  fs.rmSync(dataDir, { recursive: true, force: true })
})

/** Starts the server with `env` (on PORT=0 unless it says otherwise) and returns its banner line. */
async function banner(env: Record<string, string>) {
  const server = await startServer({
    databaseUrl: testDatabaseUrl,
    dataDir,
    waitReady: false,
    env: { PORT: '0', APP_URL: '', ...env },
  })
  await waitFor(
    () => /Switchboard listening on .*\n/.test(server.output()) || server.child.exitCode !== null,
    30_000,
  )
  const line = /Switchboard listening on .*/.exec(server.output())?.[0]
  expect(line, server.output()).toBeDefined()
  return { server, line: line! }
}

describe('the local profile with PORT=0 and no APP_URL', () => {
  it('makes the default APP_URL name the port it listens on', async () => {
    const { server, line } = await banner({})
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line)?.[1])
    expect(port).toBeGreaterThan(0)
    expect(line).toContain(`APP_URL=http://localhost:${port}`)
    const health = await fetch(`http://localhost:${port}/healthz`)
    expect(health.status).toBe(200)
    expect(await signalAndWait(server)).toMatchObject({ code: 0 })
  })
})

describe('the banner', () => {
  it('brackets an IPv6 HOST in the address it prints', async () => {
    const { server, line } = await banner({ HOST: '::' })
    expect(line).toMatch(/^Switchboard listening on http:\/\/\[::\]:\d+ /)
    // Answering before it is stopped, as the test above: a SIGTERM right after the banner, on a
    // loaded CI machine, found a start-up step still running and ended with a forced step (exit 1).
    const port = Number(/\]:(\d+)/.exec(line)?.[1])
    await waitFor(
      async () => (await fetch(`http://[::1]:${port}/healthz`).catch(() => null))?.status === 200,
      15_000,
    )
    expect(await signalAndWait(server)).toMatchObject({ code: 0 })
  })
})
