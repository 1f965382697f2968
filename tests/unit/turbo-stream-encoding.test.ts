import { createRequire } from 'node:module'
import * as esm from 'turbo-stream'
import { describe, expect, it } from 'vitest'

/**
 * patches/turbo-stream+2.4.1.patch: a payload is written into a buffer with room for mostly-ASCII
 * text (its length plus an eighth, plus 16) and encoded by TextEncoder when it may not have
 * fitted. Every `.data` answer and every page's hydration data goes through it: what is decoded
 * must be what was encoded, on both sides of that room.
 */
// The server loads the CommonJS build (through @remix-run/server-runtime); both are patched.
const builds = { esm, commonjs: createRequire(import.meta.url)('turbo-stream') as typeof esm }

async function roundTrip({ encode, decode }: typeof esm, value: unknown) {
  const chunks: Buffer[] = []
  for await (const chunk of encode(value) as unknown as AsyncIterable<Uint8Array>)
    chunks.push(Buffer.from(chunk))
  const bytes = Buffer.concat(chunks)
  const decoded = await decode(
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes)
        controller.close()
      },
    }),
  )
  await decoded.done
  return { bytes, value: decoded.value }
}

describe.each(Object.entries(builds))(
  'turbo-stream payloads (patched encoding, %s build)',
  (_name, build) => {
    it('round-trips text just under, at and over the buffer room, byte for byte', async () => {
      for (let euros = 0; euros <= 120; euros += 3) {
        const text = '€'.repeat(euros) + 'a'.repeat(1000 - euros)
        const { bytes, value } = await roundTrip(build, { text })
        expect(value).toEqual({ text })
        expect(bytes.includes(0)).toBe(false)
      }
    })

    it('round-trips wide text, emoji at the end, and a lone surrogate (JSON escapes it)', async () => {
      const wide = { subject: '日本語の件名'.repeat(300), tail: `${'x'.repeat(500)}😀` }
      expect((await roundTrip(build, wide)).value).toEqual(wide)
      expect((await roundTrip(build, { broken: 'a\ud800b' })).value).toEqual({ broken: 'a\ud800b' })
    })
  },
)

/**
 * The same patch, CommonJS build (what the server encodes with): an object's parts are built in
 * one string (no closure and arrays per value), and a string over 256 characters is not looked up
 * among the values already written (that hashed every character of the inbox's rows text on each
 * encode). The text written for everything else is turbo-stream 2.4.1's own, character for
 * character (the expected strings below are the unpatched build's output).
 */
describe('turbo-stream encoding (patched CommonJS build)', () => {
  const { commonjs } = builds
  const text = async (value: unknown) => (await roundTrip(commonjs, value)).bytes.toString('utf8')

  it('writes what unpatched turbo-stream 2.4.1 writes: shared keys and values, undefined, null-prototype objects', async () => {
    const page = {
      page: { rows: 'r', next: null },
      tags: [
        { id: 't1', name: 'billing' },
        { id: 't2', name: 'billing' },
      ],
      n: 3,
      gone: undefined,
    }
    expect(await text(page)).toBe(
      '[{"_1":2,"_6":7,"_15":16,"_17":-7},"page",{"_3":4,"_5":-5},"rows","r","next","tags",[8,13],' +
        '{"_9":10,"_11":12},"id","t1","name","billing",{"_9":14,"_11":12},"t2","n",3,"gone"]\n',
    )
    const bare = Object.assign(Object.create(null) as object, { k: 'v', j: [1, 'v'] })
    expect(await text(bare)).toBe('[["N",{"_1":2,"_3":4}],"k","v","j",[5,2],1]\n')
  })

  it('writes a long string each time it occurs, which decodes to the same value', async () => {
    const rows = JSON.stringify(
      Array.from({ length: 20 }, (_, i) => ({ id: i, subject: `Ticket ${i} “quoted”` })),
    )
    const short = 'x'.repeat(256)
    const value = { rows, again: rows, short, shortAgain: short }
    const { bytes, value: decoded } = await roundTrip(commonjs, value)
    expect(decoded).toEqual(value)
    const written = bytes.toString('utf8')
    expect(written.split(JSON.stringify(rows)).length - 1).toBe(2)
    // 256 characters is not long: written once, referenced after.
    expect(written.split(JSON.stringify(short)).length - 1).toBe(1)
  })
})
