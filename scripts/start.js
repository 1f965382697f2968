// `npm start` (the server) and `npm run worker` (`start.js worker`, the standalone job worker):
// runs the optimized build, building it first when there is none (or one from before the worker
// was built). The process runs in this one, not in a child: package.json's `exec node
// scripts/start.js` leaves no shell between npm and us, so the SIGTERM/SIGINT npm forwards
// reaches the graceful shutdown (a shell swallowed it and the server ran on orphaned).
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'

process.env.NODE_ENV ??= 'production'
const BUILT = ['build/server.js', 'build/worker.js', 'build/server/index.js']
if (!BUILT.every((file) => fs.existsSync(file))) {
  console.log('No build found: building first (npm run build)…')
  const result = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', env: { ...process.env } })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
if (process.argv[2] === 'worker') await import('../build/worker.js')
else await import('../build/server.js')
