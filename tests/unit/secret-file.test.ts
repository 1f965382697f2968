import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readOrCreateSecretFile, secretFileSteps } from '#db/secret-file.ts'

let dataDir: string

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-secret-'))
})

afterEach(() => {
  fs.rmSync(dataDir, { recursive: true, force: true })
})

/** A small seeded generator, so a failing order can be run again. */
function seededRandom(seed: number) {
  let state = seed >>> 0
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

/**
 * Runs `starts` first starts on `file` one filesystem call at a time, in the order `pick` chooses
 * among the starts not yet done, and returns the secret each one ended with.
 */
function interleave(file: string, starts: number, pick: (ready: number[]) => number) {
  const runs = Array.from({ length: starts }, () => secretFileSteps(file))
  const secrets: Array<string | undefined> = Array.from({ length: starts })
  for (;;) {
    const ready = runs.flatMap((_, index) => (secrets[index] === undefined ? [index] : []))
    if (ready.length === 0) return secrets as string[]
    const index = pick(ready)
    const step = runs[index]!.next()
    if (step.done) secrets[index] = step.value
  }
}

describe('first starts at once', () => {
  for (const [state, prepare] of [
    ['no file', () => {}],
    ['an empty file', (file: string) => fs.writeFileSync(file, '', { mode: 0o600 })],
  ] as const) {
    it(`agree on one secret, the file's, in any order of their steps (${state})`, () => {
      for (let seed = 1; seed <= 150; seed++) {
        const dir = fs.mkdtempSync(path.join(dataDir, 'run-'))
        const file = path.join(dir, 'session-secret')
        prepare(file)
        const random = seededRandom(seed)
        const secrets = interleave(file, 3, (ready) => ready[Math.floor(random() * ready.length)]!)
        const onDisk = fs.readFileSync(file, 'utf8')
        expect({ seed, secrets }).toEqual({ seed, secrets: [onDisk, onDisk, onDisk] })
        // A start that comes later still reads the same secret.
        expect(readOrCreateSecretFile(file)).toBe(onDisk)
      }
    })
  }

  it('agree when started as separate processes at the same moment', async () => {
    const module = path.resolve('db/secret-file.ts')
    for (const empty of [false, true]) {
      const file = path.join(dataDir, `secret-${empty ? 'empty' : 'none'}`)
      if (empty) fs.writeFileSync(file, '', { mode: 0o600 })
      const startAt = Date.now() + 1500
      const script = `
        import { readOrCreateSecretFile } from ${JSON.stringify(module)}
        while (Date.now() < ${startAt}) {}
        process.stdout.write(readOrCreateSecretFile(${JSON.stringify(file)}))
      `
      const secrets = await Promise.all(
        Array.from({ length: 6 }, () => {
          const child = spawn(process.execPath, ['--input-type=module', '--eval', script], {
            stdio: ['ignore', 'pipe', 'inherit'],
          })
          let out = ''
          child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
          return new Promise<string>((resolve, reject) => {
            child.once('error', reject)
            child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))))
          })
        }),
      )
      expect(secrets).toEqual(Array(6).fill(fs.readFileSync(file, 'utf8')))
      expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    }
  })
})
