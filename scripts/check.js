// npm run check: the typecheck, the lint and the format check, side by side. Each is one busy
// process; one after the other they left a core idle on the 2-core CI machine (tsc 39 s, eslint
// 22 s, prettier 26 s: 87 s in a row). Each one's output is printed whole when it ends, in this
// order; the exit code is the first failure's.
import { spawn } from 'node:child_process'

const CHECKS = [
  ['tsc', '--noEmit'],
  ['eslint', '.'],
  ['prettier', '--check', '.'],
]

function run([command, ...args]) {
  const started = Date.now()
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  return new Promise((resolve) => {
    child.on('error', (error) => resolve({ command, args, code: 1, output: String(error), ms: 0 }))
    child.on('close', (code) => resolve({ command, args, code: code ?? 1, output, ms: Date.now() - started }))
  })
}

const results = await Promise.all(CHECKS.map(run))
for (const { command, args, code, output, ms } of results) {
  console.log(
    `> ${[command, ...args].join(' ')} (${(ms / 1000).toFixed(1)} s${code ? `, exit ${code}` : ''})`,
  )
  if (output.trim()) console.log(output.trimEnd())
}
process.exit(results.find((result) => result.code !== 0)?.code ?? 0)
