import os from 'node:os'
import path from 'node:path'
import { configDefaults, defineConfig } from 'vitest/config'

/**
 * Files that assert a speed or a latency (throughput, lag, p95, "as long as", a budget in ms).
 * They run after the rest, one at a time, so another file's load can't fail them.
 */
const TIMED = [
  'tests/integration/jobs-throughput.test.ts',
  'tests/integration/email-sendgrid.test.ts',
  'tests/integration/inbound-speed.test.ts',
  'tests/integration/api-create-speed.test.ts',
  'tests/integration/login.test.ts',
  'tests/integration/form-guard.test.ts',
  'tests/integration/ai-triage.test.ts',
  'tests/integration/database-outage.test.ts',
  'tests/integration/graceful-shutdown.test.ts',
]

// Kept apart from vite.config.ts so the Remix plugin stays out of Vitest.
export default defineConfig({
  esbuild: { jsx: 'automatic' },
  test: {
    globalSetup: ['tests/helpers/global-setup.ts'],
    setupFiles: ['tests/helpers/setup-env.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      NODE_ENV: 'test',
      APP_ENV: 'local',
      SESSION_SECRET: 'test-secret-that-is-long-enough-0123456789',
      APP_URL: 'http://localhost:3000',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      // Uploaded test files go to a temporary directory, never into the checkout's ./data.
      DATA_DIR: path.join(os.tmpdir(), 'switchboard-vitest-data'),
    },
    coverage: {
      provider: 'v8',
      include: ['app/**/*.server.ts', 'app/utils/**', 'db/**'],
      reporter: ['text-summary', 'html'],
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'parallel',
          include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...TIMED],
          // Vitest's default is cores - 1, so on a 2-core machine every file ran in turn. Two at
          // once halved the wall time of 30 integration files (663 s → 327 s on a loaded
          // machine); three were no faster (371 s).
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'timed',
          include: TIMED,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
