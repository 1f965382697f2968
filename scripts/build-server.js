// Bundles server.ts (and the app modules it wires) into build/server.js, and the standalone
// worker (scripts/worker.ts, `npm run worker`) into build/worker.js, after remix vite:build,
// which empties build/. npm packages stay external; what both use is in shared chunks. Split: what server.ts imports dynamically (the
// job workers, the MCP endpoint) is its own chunk next to server.js, loaded only when used.
import { build } from 'esbuild'

await build({
  // The inbound-email parser's thread (app/domain/inbound-parse-thread.server.ts) loads its own file.
  entryPoints: [
    'server.ts',
    { in: 'scripts/worker.ts', out: 'worker' },
    { in: 'app/domain/inbound-parse.worker.ts', out: 'inbound-parse-worker' },
  ],
  outdir: 'build',
  entryNames: '[name]',
  // In build/ itself, so import.meta.url-relative paths (`../migrations`) resolve as from server.js.
  chunkNames: 'server-chunk-[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
})
