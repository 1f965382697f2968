// `npm start`: runs the optimized build, building it first when there is none.
// The server runs in this process, not in a child: package.json's `exec node scripts/start.js`
// leaves no shell between npm and us, so the SIGTERM/SIGINT npm forwards reaches the server's
// graceful shutdown (a shell swallowed it and the server ran on orphaned).
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'

process.env.NODE_ENV ??= 'production'
if (!fs.existsSync('build/server.js') || !fs.existsSync('build/server/index.js')) {
  console.log('No build found: building first (npm run build)…')
  const result = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', env: { ...process.env } })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
await import('../build/server.js')
