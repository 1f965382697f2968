import os from 'node:os'
import path from 'node:path'
import { defineConfig } from 'vitest/config'

// Kept apart from vite.config.ts so the Remix plugin stays out of Vitest.
export default defineConfig({
  esbuild: { jsx: 'automatic' },
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
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
  },
})
