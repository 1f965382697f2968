import { describe, expect, it, vi } from 'vitest'
import { importOnce } from '#app/utils/import-once.ts'

describe('importOnce', () => {
  it('imports once and hands every caller the same module', async () => {
    const load = vi.fn(async () => ({ answer: 42 }))
    const get = importOnce(load)
    const [a, b] = await Promise.all([get(), get()])
    expect(await get()).toBe(a)
    expect(b).toBe(a)
    expect(load).toHaveBeenCalledTimes(1)
  })

  it('tries a failed import again on the next call', async () => {
    const load = vi
      .fn<() => Promise<{ ok: boolean }>>()
      .mockRejectedValueOnce(new Error('ENOENT'))
      .mockResolvedValue({ ok: true })
    const get = importOnce(load)
    await expect(get()).rejects.toThrow('ENOENT')
    expect(await get()).toEqual({ ok: true })
    expect(load).toHaveBeenCalledTimes(2)
  })
})
