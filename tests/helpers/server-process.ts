import { spawn, type ChildProcess } from 'node:child_process'
import http from 'node:http'
import { freePort } from '#db/embedded.ts'

export type ServerProcess = {
  url: string
  port: number
  child: ChildProcess
  /** Everything the process wrote to stdout and stderr so far. */
  output: () => string
  /** Resolves when the process has exited, with the time it happened. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>
}

type Options = {
  /** Unset: the server runs its own embedded PostgreSQL in dataDir. */
  databaseUrl?: string
  dataDir: string
  port?: number
  /** The public URL (behind a proxy: the proxy's). Defaults to the server's own address. */
  appUrl?: string
  env?: Record<string, string>
  /** Defaults to the production build run directly: node build/server.js. */
  command?: string[]
  /** Own process group, so a test can signal it as a terminal would (kill(-pid, SIGINT)). */
  detached?: boolean
  /** Wait for /readyz (default) or return right after spawning. */
  waitReady?: boolean
}

const children = new Set<ChildProcess>()
const detachedPids = new Set<number>()

/** For afterAll: SIGKILLs every server this file started that still runs (its group if detached). */
export function killServers() {
  for (const child of children) {
    if (!child.pid) continue
    try {
      process.kill(detachedPids.has(child.pid) ? -child.pid : child.pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  children.clear()
}

/** Starts the production build (npm run build) as a separate process and waits until it is ready. */
export async function startServer(options: Options): Promise<ServerProcess> {
  const port = options.port ?? (await freePort())
  const url = `http://127.0.0.1:${port}`
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    APP_URL: options.appUrl ?? url,
    DATA_DIR: options.dataDir,
    NODE_ENV: 'production',
    APP_ENV: 'local',
    RUN_WORKER: 'false',
    LOG_LEVEL: 'warn',
    ...options.env,
  }
  if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl
  else delete env.DATABASE_URL
  const [command, ...args] = options.command ?? [process.execPath, 'build/server.js']
  const child = spawn(command!, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached })
  children.add(child)
  if (options.detached && child.pid) detachedPids.add(child.pid)
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child)
      resolve({ code, signal, at: Date.now() })
    }),
  )
  const server = { url, port, child, output: () => output, exited }
  if (options.waitReady === false) return server
  const deadline = Date.now() + 45_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`)
    if ((await getStatus(`${url}/readyz`)) === 200) return server
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`server did not become ready:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

function getStatus(url: string) {
  return new Promise<number>((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', () => resolve(0))
  })
}

/** Sends `signal` and waits for the exit; the elapsed milliseconds and the exit code. */
export async function signalAndWait(server: ServerProcess, signal: NodeJS.Signals = 'SIGTERM') {
  const sent = Date.now()
  server.child.kill(signal)
  const { code, at } = await server.exited
  return { code, ms: at - sent }
}

export type Outcome =
  { kind: 'answered'; status: number } | { kind: 'refused' } | { kind: 'reset'; code: string }

/**
 * POSTs a form over `agent` (keep-alive). "refused": the connection was refused, so the request
 * was never sent; "reset": it was sent and no response came (the failure a drain must avoid).
 */
export function postForm(
  agent: http.Agent,
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Outcome> {
  const body = new URLSearchParams(fields).toString()
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve({ kind: 'answered', status: res.statusCode ?? 0 }))
        res.on('error', () => resolve({ kind: 'reset', code: 'body' }))
      },
    )
    req.on('error', (error: NodeJS.ErrnoException) => {
      resolve(
        error.code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'reset', code: error.code ?? 'error' },
      )
    })
    req.end(body)
  })
}
