import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'
import { readOrCreateSecretFile, SecretFileError } from '#db/secret-file.ts'
import { compileTrustProxy } from '#app/http/security.server.ts'

/**
 * The one place that reads configuration from process.env (the logger reads LOG_LEVEL itself, to log
 * before this is parsed). Validated once at startup; every missing or
 * invalid variable is named in a single error so an operator can fix them all at once.
 */
const EnvSchema = z.object({
  APP_ENV: z
    .enum(['local', 'production'], { error: 'APP_ENV must be "local" or "production"' })
    .default('local'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
  PORT: z.coerce
    .number({ error: 'PORT must be a number' })
    .int({ error: 'PORT must be a whole number' })
    .min(0, { error: 'PORT must be between 0 and 65535' })
    .max(65535, { error: 'PORT must be between 0 and 65535' })
    .default(3000),
  HOST: z.string().min(1).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { error: 'DATABASE_URL must be a postgres:// URL' })
    .optional(),
  // One secret, or several separated by commas while rotating: the first signs, every one is
  // still accepted (cookies, unsubscribe links, links of emails queued under an older one).
  SESSION_SECRET: z
    .string()
    .transform((value) => value.split(',').map((secret) => secret.trim()))
    .refine((secrets) => secrets.every((secret) => secret.length >= 32), {
      error:
        'SESSION_SECRET must be at least 32 characters (each secret, when several are separated by commas)',
    })
    .optional(),
  APP_URL: z
    .string()
    .superRefine((value, context) => {
      const problem = appUrlProblem(value)
      if (problem) context.addIssue({ code: 'custom', message: `APP_URL ${problem}` })
    })
    .optional(),
  SENDGRID_API_KEY: z.string().min(1).optional(),
  // Where the SendGrid client sends (tests point it at tests/fakes/sendgrid.ts).
  SENDGRID_API_BASE_URL: z
    .url({
      protocol: /^https?$/,
      error: 'SENDGRID_API_BASE_URL must be an http:// or https:// URL such as https://api.sendgrid.com',
    })
    .default('https://api.sendgrid.com'),
  // How long one mail-send call may wait for SendGrid's answer. An email's claim lease (60 s,
  // app/domain/email.server.ts) must outlast a call, hence the cap (tests shorten it).
  SENDGRID_TIMEOUT_MS: milliseconds('SENDGRID_TIMEOUT_MS')
    .max(40_000, {
      error: 'SENDGRID_TIMEOUT_MS must be at most 40000: an email’s 60 s claim must outlast a call',
    })
    .default(20_000),
  // Which transport sends email: "sendgrid" (needs SENDGRID_API_KEY) or "outbox" (the emails
  // table only, shown at /dev/emails in the local profile). Default: sendgrid when a key is set.
  EMAIL_TRANSPORT: z
    .enum(['sendgrid', 'outbox'], { error: 'EMAIL_TRANSPORT must be "sendgrid" or "outbox"' })
    .optional(),
  INBOUND_DOMAIN: z.string().min(1).optional(),
  // The sender of account and notification emails (verify, reset, invitations, notifications).
  EMAIL_FROM: z
    .email({ error: 'EMAIL_FROM must be an email address such as no-reply@example.com' })
    .optional(),
  // The secret path segment (and Basic auth password) of the Inbound Parse webhook; unset: no inbound email.
  SENDGRID_INBOUND_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{24,200}$/, {
      error: 'SENDGRID_INBOUND_SECRET must be 24+ letters, digits, - or _',
    })
    .optional(),
  // SendGrid's signed-webhook verification key (base64 DER or PEM, ECDSA P-256).
  SENDGRID_WEBHOOK_PUBLIC_KEY: z.string().min(1).optional(),
  INBOUND_MAX_PER_SENDER_HOUR: z.coerce
    .number({ error: 'INBOUND_MAX_PER_SENDER_HOUR must be a number' })
    .int()
    .min(1)
    .default(30),
  // Days a processed inbound post's raw bytes are kept after filing (the message keeps its content).
  INBOUND_RAW_RETENTION_DAYS: z.coerce
    .number({ error: 'INBOUND_RAW_RETENTION_DAYS must be a number of days' })
    .int()
    .min(1)
    .default(30),
  // Days an unrouted or failed post is kept (never less than INBOUND_RAW_RETENTION_DAYS).
  INBOUND_FAILED_RETENTION_DAYS: z.coerce
    .number({ error: 'INBOUND_FAILED_RETENTION_DAYS must be a number of days' })
    .int()
    .min(1)
    .default(90),
  // AI assist (docs/ai.md). With neither a key nor a base URL, AI is off and its controls say so.
  OPENAI_API_KEY: z.string().min(1).optional(),
  // Any OpenAI-compatible server (Ollama, vLLM, llama.cpp); tests point it at tests/fakes/openai.ts.
  OPENAI_BASE_URL: z
    .url({
      protocol: /^https?$/,
      error: 'OPENAI_BASE_URL must be an http:// or https:// URL such as http://localhost:11434/v1',
    })
    .optional(),
  OPENAI_MODEL: z.string().min(1).max(200).default('gpt-4.1-mini'),
  // Triage calls per workspace (docs/ai.md#triage): one per new ticket, so without a cap the spend
  // follows how fast anyone can create tickets (email, the support form, the API).
  AI_TRIAGE_PER_HOUR: z.coerce
    .number({ error: 'AI_TRIAGE_PER_HOUR must be a number' })
    .int()
    .min(1, { error: 'AI_TRIAGE_PER_HOUR must be at least 1' })
    .default(500),
  AI_TRIAGE_PER_DAY: z.coerce
    .number({ error: 'AI_TRIAGE_PER_DAY must be a number' })
    .int()
    .min(1, { error: 'AI_TRIAGE_PER_DAY must be at least 1' })
    .default(5_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RUN_WORKER: z.enum(['true', 'false']).default('true'),
  // After SIGTERM, how long the server goes on serving as usual while /readyz answers 503, so a
  // load balancer that checks it stops sending new connections before the listener closes.
  SHUTDOWN_DELAY_MS: z.coerce
    .number({ error: 'SHUTDOWN_DELAY_MS must be a number of milliseconds' })
    .int({ error: 'SHUTDOWN_DELAY_MS must be a whole number of milliseconds' })
    .min(0, { error: 'SHUTDOWN_DELAY_MS must be 0 (no delay) or more' })
    .max(120_000, { error: 'SHUTDOWN_DELAY_MS must be at most 120000 (two minutes)' })
    .default(0),
  // Express "trust proxy": which proxies may set X-Forwarded-For (the client address used by rate limits).
  // Compiled here as the server compiles it, so a bad value is named before anything starts (it
  // was proxy-addr's "invalid IP address" stack after the database had started).
  TRUST_PROXY: z
    .string()
    .default('loopback')
    .transform((value, context) => {
      const trust = /^\d+$/.test(value) ? Number(value) : value
      const problem = trustProxyProblem(trust)
      if (problem) context.addIssue({ code: 'custom', message: `TRUST_PROXY ${problem}` })
      return trust
    }),
  // How long the database may take before a request fails with 503 instead of waiting.
  DATABASE_CONNECT_TIMEOUT_MS: milliseconds('DATABASE_CONNECT_TIMEOUT_MS').default(5_000),
  DATABASE_STATEMENT_TIMEOUT_MS: milliseconds('DATABASE_STATEMENT_TIMEOUT_MS').default(15_000),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: milliseconds('DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS').default(
    30_000,
  ),
  // Connections of the web process's own pool (defaultDatabasePoolSize when unset).
  DATABASE_POOL_SIZE: positiveCount('DATABASE_POOL_SIZE')
    .max(1000, { error: 'DATABASE_POOL_SIZE must be at most 1000' })
    .optional(),
  // Outbound webhooks (docs/security.md#outbound-webhooks): http:// endpoints only when true
  // (local development); a comma-separated list of internal hosts (host or host:port) to allow.
  WEBHOOKS_ALLOW_HTTP: z
    .enum(['true', 'false'], { error: 'WEBHOOKS_ALLOW_HTTP must be true or false' })
    .default('false'),
  WEBHOOKS_ALLOWED_HOSTS: z.string().default(''),
  // Requests per minute per API token (app/api/operation.server.ts).
  API_RATE_LIMIT_PER_MINUTE: z.coerce
    .number({ error: 'API_RATE_LIMIT_PER_MINUTE must be a number' })
    .int()
    .min(1, { error: 'API_RATE_LIMIT_PER_MINUTE must be at least 1' })
    .default(600),
  // Customer email recipients a workspace may send to per hour (replies with their CC and BCC;
  // docs/security.md#outbound-email-limits), and while no owner of it has verified their email.
  OUTBOUND_EMAILS_PER_HOUR: positiveCount('OUTBOUND_EMAILS_PER_HOUR').default(1_000),
  OUTBOUND_EMAILS_PER_HOUR_UNVERIFIED: positiveCount('OUTBOUND_EMAILS_PER_HOUR_UNVERIFIED').default(50),
  // Signup verification emails (signup and Resend) the whole server sends per hour, to any address.
  SIGNUP_EMAILS_PER_HOUR: positiveCount('SIGNUP_EMAILS_PER_HOUR').default(100),
  // Workspaces one person may create per 24 hours (besides the one created with their account).
  WORKSPACES_PER_USER_PER_DAY: positiveCount('WORKSPACES_PER_USER_PER_DAY').default(5),
  // Open connections one client address may hold (app/http/connection-guard.server.ts); 0: no cap.
  MAX_CONNECTIONS_PER_ADDRESS: z.coerce
    .number({ error: 'MAX_CONNECTIONS_PER_ADDRESS must be a number' })
    .int()
    .min(0, { error: 'MAX_CONNECTIONS_PER_ADDRESS must be 0 (no cap) or more' })
    .default(1_000),
  // How long a client may take to send a request's headers.
  HTTP_HEADERS_TIMEOUT_MS: milliseconds('HTTP_HEADERS_TIMEOUT_MS').default(20_000),
  // How long an idle keep-alive connection stays open for the client's next request. Longer than
  // the idle timeouts load balancers keep their connections to an instance for (nginx and AWS's
  // ALB 60 s, Traefik 90 s, Caddy 120 s): when the server closes first, a request the proxy sends
  // on the connection at that moment is lost, and it answers 502 (Node's default is 5 s).
  HTTP_KEEP_ALIVE_TIMEOUT_MS: milliseconds('HTTP_KEEP_ALIVE_TIMEOUT_MS').default(125_000),
  // How long a request's body may take after its headers, before the minimum rate counts
  // (app/http/body-deadline.server.ts).
  HTTP_BODY_TIMEOUT_MS: milliseconds('HTTP_BODY_TIMEOUT_MS').default(30_000),
})

/**
 * Why APP_URL cannot be used, or undefined. It is the origin every emailed link, the Host check
 * and the Origin check are built from, and the app is served at the root of its host: a path made
 * every emailed link a 404, and a value without a scheme failed later, at the first request.
 */
function appUrlProblem(value: string): string | undefined {
  const example = 'such as https://help.example.com'
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return `must be an absolute URL ${example}`
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `must start with http:// or https:// (${example}, or http://localhost:3000)`
  }
  if (!url.hostname) return `must name a host, ${example}`
  if (url.username || url.password) return 'must not carry a user name or password'
  if (url.pathname !== '/') {
    return `must be an origin without a path (${url.pathname}): Switchboard is served at the root of its host, so links under a path would open nothing`
  }
  if (url.search || url.hash || /[?#]/.test(value)) {
    return 'must have no query (?…) or fragment (#…): the links Switchboard sends are built by adding a path to it'
  }
  return undefined
}

function trustProxyProblem(trust: string | number): string | undefined {
  const kinds =
    'loopback, linklocal, uniquelocal, a hop count such as 1, or addresses and CIDRs separated by commas such as 10.0.0.0/8'
  if (trust === 'true') {
    return `must name the proxies to trust (${kinds}): "true" would take the client address from anyone's X-Forwarded-For`
  }
  try {
    compileTrustProxy(trust)
    return undefined
  } catch (error) {
    return `must be ${kinds} (${error instanceof Error ? error.message : String(error)})`
  }
}

function positiveCount(name: string) {
  return z.coerce
    .number({ error: `${name} must be a number` })
    .int({ error: `${name} must be a whole number` })
    .min(1, { error: `${name} must be at least 1` })
}

/**
 * The web process's pool when DATABASE_POOL_SIZE is unset: twice the CPUs plus one (5 on two
 * CPUs). More statements at once than the CPUs can run do not finish sooner: on the bench's
 * 2 CPUs, where PostgreSQL shares the machine, 16 requests at once on a pool of 20 cost PostgreSQL
 * more CPU per reply than on a pool of 4 (docs/performance.md, session 27). A request waits for a
 * free connection instead (up to DATABASE_CONNECT_TIMEOUT_MS, then 503). No transaction of ours
 * waits for a second connection while it holds one (tests/integration/small-pool.test.ts), so a
 * small pool cannot lock itself up. A database on a larger machine of its own may want more.
 */
export function defaultDatabasePoolSize(cpus = os.availableParallelism()) {
  return 2 * cpus + 1
}

function milliseconds(name: string) {
  return z.coerce
    .number({ error: `${name} must be a number of milliseconds` })
    .int({ error: `${name} must be a whole number of milliseconds` })
    .min(100, { error: `${name} must be at least 100 (milliseconds)` })
}

export type AppEnv = {
  appEnv: 'local' | 'production'
  isProduction: boolean
  dev: boolean
  port: number
  host: string
  dataDir: string
  databaseUrl: string | undefined
  /** Signs cookies, unsubscribe links and the links emails carry. */
  sessionSecret: string
  /**
   * `sessionSecret` first, then the older secrets still accepted while rotating (SESSION_SECRET's
   * later comma-separated values): what was signed under one keeps working.
   */
  sessionSecrets: string[]
  appUrl: string
  sendgridApiKey: string | undefined
  /** How outgoing email leaves: SendGrid's v3 mail send, or the local outbox (nothing leaves). */
  email:
    | { transport: 'sendgrid'; sendgridApiKey: string; sendgridApiBaseUrl: string; sendgridTimeoutMs: number }
    | { transport: 'outbox' }
  inboundDomain: string
  /** The sender of account and notification emails (default no-reply@<INBOUND_DOMAIN>). */
  emailFrom: string
  /** Inbound Parse and Event Webhook settings (app/http/inbound.server.ts). */
  inbound: {
    secret: string | undefined
    webhookPublicKey: string | undefined
    maxNewTicketsPerSenderHour: number
    /** Days a processed post's raw bytes are kept (email.inbound-retention). */
    rawRetentionDays: number
    /** Days an unrouted or failed post's bytes are kept. */
    failedRetentionDays: number
  }
  /** The model provider (app/ai/client.server.ts); `configured` is false with neither key nor base URL. */
  ai: {
    configured: boolean
    apiKey: string | undefined
    baseUrl: string
    model: string
    /** Triage calls per workspace per hour and per 24 hours (app/ai/client.server.ts). */
    triagePerHour: number
    triagePerDay: number
  }
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL']
  runWorker: boolean
  shutdownDelayMs: number
  /** Express "trust proxy" value: 'loopback', a hop count, or comma-separated addresses/CIDRs. */
  trustProxy: string | number
  /** Timeouts of the app's database pools (db/pool.ts). */
  database: { connectTimeoutMs: number; statementTimeoutMs: number; idleInTransactionTimeoutMs: number }
  /** Connections of the web process's pool (server.ts). */
  databasePoolSize: number
  /** Where outbound webhooks may go (app/domain/webhook-address.server.ts). */
  webhooks: { allowHttp: boolean; allowedHosts: string[] }
  /** Requests per minute per API token. */
  apiRateLimitPerMinute: number
  /** Abuse limits (app/domain/outbound-email-limit.server.ts, workspaces.server.ts). */
  limits: {
    outboundEmailsPerHour: number
    outboundEmailsPerHourUnverified: number
    signupEmailsPerHour: number
    workspacesPerUserPerDay: number
  }
  /** Client connections (app/http/connection-guard.server.ts). */
  http: {
    maxConnectionsPerAddress: number
    headersTimeoutMs: number
    keepAliveTimeoutMs: number
    bodyTimeoutMs: number
  }
  /** Which local defaults were filled in, for the startup banner. */
  defaultsUsed: string[]
  /** APP_URL is the local default, http://localhost:PORT (with PORT=0: settleFreePort). */
  appUrlFromPort: boolean
}

export class EnvError extends Error {}

/**
 * `worker`: the configuration of `npm run worker`, which fills in no default for what it must
 * share with the web instances (the database, the secret its emailed links are signed with and the
 * URL they point at): its own would send links that open nothing.
 */
export function parseEnv(source: NodeJS.ProcessEnv, options: { worker?: boolean } = {}): AppEnv {
  // Blank means unset, as empty does (`PORT=" "` was read as port 0: Number(" ") is 0).
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v?.trim() !== ''))
  const parsed = EnvSchema.safeParse(cleaned)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`)
    throw new EnvError(`Invalid configuration:\n${lines.join('\n')}`)
  }
  const e = parsed.data
  const production = e.APP_ENV === 'production'
  if (production) {
    const missing: string[] = []
    if (!e.SESSION_SECRET) missing.push('SESSION_SECRET (a random string of at least 32 characters)')
    if (!e.APP_URL) missing.push('APP_URL (the public URL, e.g. https://help.example.com)')
    if (!e.DATABASE_URL) missing.push('DATABASE_URL (postgres://user:pass@host:5432/db)')
    if (!e.SENDGRID_API_KEY && e.EMAIL_TRANSPORT !== 'outbox') {
      missing.push('SENDGRID_API_KEY (the email transport), or EMAIL_TRANSPORT=outbox to send no email')
    }
    if (missing.length > 0) {
      throw new EnvError(
        `APP_ENV=production fills in no defaults. Missing:\n${missing.map((m) => `  - ${m}`).join('\n')}`,
      )
    }
  }
  if (options.worker) {
    const missing: string[] = []
    if (!e.DATABASE_URL) {
      missing.push('DATABASE_URL (the embedded database belongs to the web process, npm start)')
    }
    if (!e.SESSION_SECRET) missing.push('SESSION_SECRET (it signs the links in the emails the worker sends)')
    if (!e.APP_URL) missing.push('APP_URL (the links in the emails the worker sends point there)')
    if (missing.length > 0) {
      throw new EnvError(
        `npm run worker fills in no defaults: set these to the same values as the web instances. Missing:\n${missing.map((m) => `  - ${m}`).join('\n')}`,
      )
    }
  }
  if (e.EMAIL_TRANSPORT === 'sendgrid' && !e.SENDGRID_API_KEY) {
    throw new EnvError('Invalid configuration:\n  - EMAIL_TRANSPORT=sendgrid needs SENDGRID_API_KEY')
  }
  const transport = e.EMAIL_TRANSPORT ?? (e.SENDGRID_API_KEY ? 'sendgrid' : 'outbox')
  const dataDir = path.resolve(e.DATA_DIR)
  const defaultsUsed: string[] = []
  let sessionSecrets = e.SESSION_SECRET
  if (!sessionSecrets) {
    sessionSecrets = [readOrCreateSecret(dataDir)]
    defaultsUsed.push(`session secret in ${path.join(dataDir, 'session-secret')}`)
  }
  const sessionSecret = sessionSecrets[0]!
  if (!e.DATABASE_URL) defaultsUsed.push(`embedded PostgreSQL in ${path.join(dataDir, 'postgres')}`)
  const appUrl = e.APP_URL ? new URL(e.APP_URL).origin : `http://localhost:${e.PORT}`
  if (!e.APP_URL) defaultsUsed.push(`APP_URL=${appUrl}`)
  return {
    appEnv: e.APP_ENV,
    isProduction: production,
    dev: e.NODE_ENV === 'development',
    port: e.PORT,
    host: e.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    dataDir,
    databaseUrl: e.DATABASE_URL,
    sessionSecret,
    sessionSecrets,
    appUrl,
    sendgridApiKey: e.SENDGRID_API_KEY,
    email:
      transport === 'sendgrid'
        ? {
            transport,
            sendgridApiKey: e.SENDGRID_API_KEY!,
            sendgridApiBaseUrl: e.SENDGRID_API_BASE_URL.replace(/\/$/, ''),
            sendgridTimeoutMs: e.SENDGRID_TIMEOUT_MS,
          }
        : { transport: 'outbox' },
    inboundDomain: e.INBOUND_DOMAIN ?? 'inbound.localhost',
    emailFrom: e.EMAIL_FROM ?? `no-reply@${e.INBOUND_DOMAIN ?? 'inbound.localhost'}`,
    inbound: {
      secret: e.SENDGRID_INBOUND_SECRET,
      webhookPublicKey: e.SENDGRID_WEBHOOK_PUBLIC_KEY,
      maxNewTicketsPerSenderHour: e.INBOUND_MAX_PER_SENDER_HOUR,
      rawRetentionDays: e.INBOUND_RAW_RETENTION_DAYS,
      failedRetentionDays: Math.max(e.INBOUND_FAILED_RETENTION_DAYS, e.INBOUND_RAW_RETENTION_DAYS),
    },
    ai: {
      configured: Boolean(e.OPENAI_API_KEY || e.OPENAI_BASE_URL),
      apiKey: e.OPENAI_API_KEY,
      baseUrl: (e.OPENAI_BASE_URL ?? 'https://api.openai.com/v1').replace(/\/$/, ''),
      model: e.OPENAI_MODEL,
      triagePerHour: e.AI_TRIAGE_PER_HOUR,
      triagePerDay: e.AI_TRIAGE_PER_DAY,
    },
    logLevel: e.LOG_LEVEL,
    runWorker: e.RUN_WORKER === 'true',
    shutdownDelayMs: e.SHUTDOWN_DELAY_MS,
    trustProxy: e.TRUST_PROXY,
    database: {
      connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      idleInTransactionTimeoutMs: e.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    },
    databasePoolSize: e.DATABASE_POOL_SIZE ?? defaultDatabasePoolSize(),
    webhooks: {
      allowHttp: e.WEBHOOKS_ALLOW_HTTP === 'true',
      allowedHosts: e.WEBHOOKS_ALLOWED_HOSTS.split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    },
    apiRateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
    limits: {
      outboundEmailsPerHour: e.OUTBOUND_EMAILS_PER_HOUR,
      outboundEmailsPerHourUnverified: e.OUTBOUND_EMAILS_PER_HOUR_UNVERIFIED,
      signupEmailsPerHour: e.SIGNUP_EMAILS_PER_HOUR,
      workspacesPerUserPerDay: e.WORKSPACES_PER_USER_PER_DAY,
    },
    http: {
      maxConnectionsPerAddress: e.MAX_CONNECTIONS_PER_ADDRESS,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      bodyTimeoutMs: e.HTTP_BODY_TIMEOUT_MS,
    },
    defaultsUsed,
    appUrlFromPort: !e.APP_URL,
  }
}

/**
 * The local profile's session secret, `DATA_DIR/session-secret`, made on the first start
 * (readOrCreateSecretFile: never a partial file under its name). One that is shorter than
 * SESSION_SECRET's 32 characters, or not a file, is refused, never used: an empty key (a full
 * disk once left the file empty) made cookies, unsubscribe links and emailed links forgeable.
 */
function readOrCreateSecret(dataDir: string) {
  try {
    return readOrCreateSecretFile(path.join(dataDir, 'session-secret'))
  } catch (error) {
    if (!(error instanceof SecretFileError)) throw error
    throw new EnvError(
      `${error.message}: it should hold the session secret, which signs session cookies and emailed links. Remove it (a new secret is made; everyone is signed out) or set SESSION_SECRET.`,
    )
  }
}

const store = globalThis as unknown as { __switchboardEnv?: AppEnv }

/**
 * PORT=0 picks a free port, and without APP_URL the default APP_URL names it: the server picks
 * the port first and settles it here, so the origin checks and every link the app makes and
 * emails point at it (they were http://localhost:0, which opens nothing).
 */
export function settleFreePort(port: number) {
  const config = env()
  if (!config.appUrlFromPort || config.port !== 0) return config
  const appUrl = `http://localhost:${port}`
  store.__switchboardEnv = {
    ...config,
    port,
    appUrl,
    defaultsUsed: config.defaultsUsed.map((used) =>
      used.startsWith('APP_URL=') ? `APP_URL=${appUrl}` : used,
    ),
  }
  return store.__switchboardEnv
}

/**
 * The configuration of `npm run worker`, parsed as env() but refusing without the settings it
 * must share with the web instances (parseEnv's `worker`). Called before anything asks env().
 */
export function workerEnv(): AppEnv {
  store.__switchboardEnv ??= parseEnv(process.env, { worker: true })
  return store.__switchboardEnv
}

/** The validated configuration of this process, parsed on first use. */
export function env(): AppEnv {
  store.__switchboardEnv ??= parseEnv(process.env)
  return store.__switchboardEnv
}
