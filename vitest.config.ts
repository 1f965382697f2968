import os from 'node:os'
import path from 'node:path'
import { configDefaults, defineConfig } from 'vitest/config'

import { ISOLATED, TIMED } from './tests/helpers/test-groups.ts'

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
          exclude: [...configDefaults.exclude, ...TIMED, ...ISOLATED],
          // Vitest's default is cores - 1, so on a 2-core machine every file ran in turn. Two at
          // once halved the wall time of 30 integration files (663 s → 327 s on a loaded
          // machine); three were no faster (371 s).
          maxWorkers: 2,
          // Each worker runs file after file in one process: a fresh process per file (Vitest's
          // default) spent more time starting and importing than the tests ran (the whole run
          // 432 → 254 s). Each file still gets its own database (setup-env.ts); files that change
          // the process's environment are in ISOLATED (tests/helpers/test-groups.ts).
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'isolated',
          include: ISOLATED,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'timed',
          include: TIMED,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
})
