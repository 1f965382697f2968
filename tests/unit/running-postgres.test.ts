import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { freeSocketPort } from '#db/embedded.ts'
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

describe('freeSocketPort', () => {
  it('skips a port whose Unix socket a killed PostgreSQL left locked', async () => {
    // The lock file of a server killed with -9, on the first port offered.
    fs.writeFileSync(path.join(dir, '.s.PGSQL.45001.lock'), '123456\n/tmp\n')
    const offered = [45001, 45002]
    const port = await freeSocketPort(async () => offered.shift()!, dir)
    expect(port).toBe(45002)
    expect(offered).toEqual([])
  })

  it('takes the first port offered when its socket is free, or when there is no socket directory', async () => {
    expect(await freeSocketPort(async () => 45003, dir)).toBe(45003)
    fs.writeFileSync(path.join(dir, '.s.PGSQL.45004.lock'), '1\n')
    expect(await freeSocketPort(async () => 45004, undefined)).toBe(45004)
  })
})
