import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { findRunningPostmaster } from '#db/running-postgres.ts'

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-pidfile-'))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const writePidFile = (pid: number | string, port: number | string) =>
  fs.writeFileSync(
    path.join(dir, 'postmaster.pid'),
    `${pid}\n${dir}\n1700000000\n${port}\n\n127.0.0.1\n0\nready\n`,
  )

describe('findRunningPostmaster', () => {
  it('finds nothing without a pid file', () => {
    expect(findRunningPostmaster(dir)).toBeUndefined()
  })

  it('ignores a pid file whose process is gone', () => {
    writePidFile(2 ** 22 + 1, 5432) // above Linux's pid_max
    expect(findRunningPostmaster(dir)).toBeUndefined()
  })

  it('ignores a pid file whose pid now belongs to another program', () => {
    writePidFile(process.pid, 5432) // alive, but node, not postgres
    expect(findRunningPostmaster(dir)).toBeUndefined()
  })

  it('ignores a garbled pid file', () => {
    writePidFile('not-a-pid', 'nope')
    expect(findRunningPostmaster(dir)).toBeUndefined()
  })
})
