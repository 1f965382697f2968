import { defineConfig } from '@playwright/test'

const PORT = Number(process.env.E2E_PORT ?? 3210)
const baseURL = `http://127.0.0.1:${PORT}`
// tests/e2e/ai.spec.ts, and then ai-offline.spec.ts, start the fake OpenAI-compatible server
// (tests/fakes/openai.ts) on this port.
export const E2E_OPENAI_PORT = Number(process.env.E2E_OPENAI_PORT ?? 3219)
// tests/e2e/email-threading.spec.ts posts Inbound Parse emails to /webhooks/sendgrid/inbound/<this>.
export const E2E_INBOUND_SECRET = 'e2e-inbound-secret-0123456789abcdef'

// Specs that assert a speed: run alone, before the rest.
const TIMED_SPECS = ['**/ai.spec.ts']

// End-to-end tests run against the production build (npm run build) on a fresh database,
// in Debian's chromium: nothing is downloaded.
export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: process.env.E2E_OUTPUT_DIR ?? 'test-results',
  // A limit for a hung step, not a speed check: the slowest spec takes ~30 s on a slow 2-core machine.
  timeout: 120_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  // Three spec files at a time (E2E_WORKERS overrides). Much of a spec's time is waiting (undo
  // windows, live round trips, the job worker), so a third worker fills it, even on 2 cores: the
  // whole run 270 s with two, 216-220 s with three (session 14, same machine). ai.spec.ts asserts a
  // latency (first token p95), so it runs first and alone, on a fresh server (the timed project);
  // the rest follow. To run one spec without it: npx playwright test --no-deps <file>.
  workers: Number(process.env.E2E_WORKERS ?? 3),
  retries: process.env.CI ? 1 : 0,
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL,
    // Recording a trace for every test cost 15-20% of the run's time; on CI a failed test is
    // retried once and the retry records one. E2E_TRACE overrides (on, off, retain-on-failure).
    trace: (process.env.E2E_TRACE ?? (process.env.CI ? 'on-first-retry' : 'retain-on-failure')) as 'on',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  projects: [
    { name: 'timed', testMatch: TIMED_SPECS },
    { name: 'e2e', testIgnore: TIMED_SPECS, dependencies: ['timed'] },
  ],
  webServer: {
    command: 'node scripts/e2e-server.js',
    // SIGTERM lets the server drain and stop its embedded PostgreSQL (its own session, so a
    // process-group kill would leave it running).
    gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
    url: `${baseURL}/readyz`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      PORT: String(PORT),
      APP_URL: baseURL,
      DATA_DIR: process.env.E2E_DATA_DIR ?? '.data-e2e',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      OPENAI_BASE_URL: `http://127.0.0.1:${E2E_OPENAI_PORT}/v1`,
      SENDGRID_INBOUND_SECRET: E2E_INBOUND_SECRET,
      // The suite signs up more than the default 100 accounts an hour on one server (each spec's
      // owners and teammates): past it, signup says it cannot send more confirmation emails.
      SIGNUP_EMAILS_PER_HOUR: '2000',
    },
  },
})
