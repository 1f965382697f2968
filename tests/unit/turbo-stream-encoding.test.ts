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
