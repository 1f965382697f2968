// Starts the production build on a fresh data directory for the end-to-end tests.
import fs from 'node:fs'

fs.rmSync(process.env.DATA_DIR ?? '.data-e2e', { recursive: true, force: true })
await import('../build/server.js')
