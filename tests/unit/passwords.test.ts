import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { hashPassword, hashStats, verifyPassword } from '#app/domain/passwords.server.ts'
import { recordHashStarts } from '#tests/helpers/hash-starts.ts'

describe('password hashing', () => {
  it('runs one hash per CPU at a time and starts a lower priority number first', async () => {
    const stored = await hashPassword('correct horse battery staple')
    const cpus = os.availableParallelism()
    const recorder = recordHashStarts()
    try {
      const verify = (label: string, priority: number) =>
        recorder.as(label, () => verifyPassword('wrong', stored, { priority, sheddable: false }))
      const before = hashStats()
      // 3 × cpus flood hashes: cpus run, 2 × cpus wait. Then one with a better priority arrives.
      const flood = Array.from({ length: 3 * cpus }, (_, i) => verify(`flood ${i}`, 5))
      const clean = verify('clean', 0)
      expect(hashStats().derivations - before.derivations).toBe(cpus)
      expect(hashStats().waiting - before.waiting).toBe(2 * cpus + 1)
      await Promise.all([...flood, clean])
      // It takes the first free slot, where arrival order would start it last. Read from the order
      // the hashes started in: the order they finish in is the threads' scheduling (at a load
      // average of 15 CI saw it finish after more than 2 × cpus flood hashes).
      const order = recorder.starts.map((start) => start.label)
      expect(order).toHaveLength(3 * cpus + 1)
      expect(order.indexOf('clean')).toBe(cpus)
    } finally {
      recorder.stop()
    }
  })

  it('verifies the password a hash was made from', async () => {
    const stored = await hashPassword('correct horse battery staple')
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/)
    await expect(verifyPassword('correct horse battery staple', stored)).resolves.toBe(true)
  })

  it('rejects a different password', async () => {
    const stored = await hashPassword('correct horse battery staple')
    await expect(verifyPassword('correct horse battery stapler', stored)).resolves.toBe(false)
    await expect(verifyPassword('', stored)).resolves.toBe(false)
  })

  it('salts each hash, so the same password never hashes the same way twice', async () => {
    const [a, b] = await Promise.all([
      hashPassword('same password twice'),
      hashPassword('same password twice'),
    ])
    expect(a).not.toBe(b)
    await expect(verifyPassword('same password twice', a)).resolves.toBe(true)
    await expect(verifyPassword('same password twice', b)).resolves.toBe(true)
  })

  it.each([
    ['an empty string', ''],
    ['a string without separators', 'not-a-hash'],
    ['another scheme', 'bcrypt$32768$8$1$c2FsdHNhbHRzYWx0c2FsdA==$a2V5a2V5a2V5a2V5'],
    ['a missing key', 'scrypt$32768$8$1$c2FsdHNhbHRzYWx0c2FsdA=='],
  ])('treats %s as a stored hash that matches nothing', async (_what, stored) => {
    await expect(verifyPassword('any password at all', stored)).resolves.toBe(false)
  })

  it.each([
    ['non-numeric cost parameters', 'scrypt$x$y$z$c2FsdHNhbHRzYWx0c2FsdA==$a2V5a2V5a2V5a2V5'],
    ['a cost beyond the memory cap', 'scrypt$1073741824$8$1$c2FsdHNhbHRzYWx0c2FsdA==$a2V5a2V5a2V5a2V5'],
  ])('returns false instead of throwing for a stored hash with %s', async (_what, stored) => {
    await expect(verifyPassword('any password at all', stored)).resolves.toBe(false)
  })

  it('normalises to NFKC, so a ligature and its plain letters are the same password', async () => {
    const ligature = 'pro\uFB01le passphrase'
    const plain = 'profile passphrase'
    expect(ligature).not.toBe(plain)
    const stored = await hashPassword(ligature)
    await expect(verifyPassword(plain, stored)).resolves.toBe(true)
  })

  it('normalises to NFKC, so composed and decomposed accents are the same password', async () => {
    const composed = 'caf\u00e9 au lait passphrase'
    const decomposed = 'cafe\u0301 au lait passphrase'
    const stored = await hashPassword(decomposed)
    await expect(verifyPassword(composed, stored)).resolves.toBe(true)
  })
})
