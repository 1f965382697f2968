import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CHANGES_THE_PROCESS, ISOLATED, MEASURES_THE_EVENT_LOOP, TIMED } from '#tests/helpers/test-groups.ts'

const ROOT = path.resolve(import.meta.dirname, '../..')
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8')

function testFiles() {
  return ['tests/unit', 'tests/integration'].flatMap((dir) =>
    fs
      .readdirSync(path.join(ROOT, dir))
      .filter((name) => name.endsWith('.test.ts'))
      .map((name) => `${dir}/${name}`),
  )
}

/** Helpers that change the process when a test calls them (setup-env's per-file URL aside). */
function processChangingHelpers() {
  return fs
    .readdirSync(path.join(ROOT, 'tests/helpers'))
    .filter((name) => name.endsWith('.ts') && name !== 'setup-env.ts' && name !== 'test-groups.ts')
    .filter((name) => CHANGES_THE_PROCESS.test(read(`tests/helpers/${name}`)))
    .map((name) => name.replace(/\.ts$/, ''))
}

describe('test groups (vitest.config.ts)', () => {
  it('lists only files that exist, each once', () => {
    const files = new Set(testFiles())
    for (const file of [...TIMED, ...ISOLATED]) expect(files.has(file), file).toBe(true)
    expect(new Set([...TIMED, ...ISOLATED]).size).toBe(TIMED.length + ISOLATED.length)
  })

  it('runs every file that changes the process environment in a process of its own', () => {
    const helpers = processChangingHelpers()
    expect(helpers).toContain('inbound-server')
    const own = new Set([...TIMED, ...ISOLATED])
    const shared = testFiles().filter((file) => {
      const source = read(file)
      const usesHelper = helpers.some((helper) => source.includes(`helpers/${helper}.ts'`))
      return CHANGES_THE_PROCESS.test(source) || usesHelper
    })
    expect(shared.filter((file) => !own.has(file))).toEqual([])
  })

  it('runs every file that measures the event loop alone, in a process of its own', () => {
    const measuring = testFiles().filter((file) => MEASURES_THE_EVENT_LOOP.test(read(file)))
    expect(measuring).toContain('tests/unit/idle-memory.test.ts')
    expect(measuring.filter((file) => !TIMED.includes(file))).toEqual([])
  })
})
