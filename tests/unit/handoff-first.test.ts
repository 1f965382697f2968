import { createRequire } from 'node:module'
import { Writable } from 'node:stream'
import type { EntryContext } from '@remix-run/node'
import { createElement, Suspense } from 'react'
import { renderToPipeableStream } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { readHandoffFirst } from '#app/entry.server.tsx'

/**
 * entry.server.tsx reads a page's loader data (turbo-stream's text, streamed into the page by
 * Remix's StreamTransfer) before rendering, into the cache StreamTransfer reads it from, so the
 * render never suspends on it. The page must come out exactly as when StreamTransfer read the
 * stream itself, chunk by chunk: same scripts, same text (a character split between chunks
 * included), and a stream that fails fails the render as before.
 */
const require = createRequire(import.meta.url)
const { StreamTransfer } = require(
  require.resolve('@remix-run/react').replace(/index\.js$/, 'single-fetch.js'),
) as { StreamTransfer: (props: Record<string, unknown>) => null }

const euro = Buffer.from('€')
const chunks = [
  Buffer.from('[{"_1":2},"subject","Caf'),
  Buffer.concat([Buffer.from('é '), euro.subarray(0, 1)]),
  Buffer.concat([euro.subarray(1), Buffer.from(' </script> done"]\n')]),
]

function contextOf(parts: Buffer[], failWith?: Error) {
  const serverHandoffStream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(new Uint8Array(part))
      if (failWith) controller.error(failWith)
      else controller.close()
    },
  })
  return { serverHandoffStream, renderMeta: { didRenderScripts: true } } as unknown as EntryContext
}

function render(context: EntryContext) {
  return new Promise<string>((resolve, reject) => {
    let html = ''
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        html += chunk.toString('utf8')
        callback()
      },
      final(callback) {
        resolve(html)
        callback()
      },
    })
    const element = createElement(
      Suspense,
      null,
      createElement(StreamTransfer, {
        context,
        identifier: 0,
        reader: context.serverHandoffStream!.getReader(),
        textDecoder: new TextDecoder(),
        nonce: 'n0nce',
      }),
    )
    const { pipe } = renderToPipeableStream(element, {
      onAllReady: () => pipe(sink),
      onShellError: reject,
      onError: () => {},
    })
  })
}

describe('the loader data read before the render (readHandoffFirst)', () => {
  it('renders the same page as StreamTransfer reading the stream itself', async () => {
    const streamed = await render(contextOf(chunks))
    const context = contextOf(chunks)
    await readHandoffFirst(context)
    expect(Object.keys(context.renderMeta!.streamCache!)).toEqual(['0', '1', '2', '3'])
    expect(context.renderMeta!.streamCache![3]!.result).toEqual({ done: true, value: '' })
    // RemixServer takes a reader of the stream as it renders: it must not be locked.
    expect(context.serverHandoffStream!.locked).toBe(false)
    const prefilled = await render(context)
    expect(prefilled).toBe(streamed)
    // The character split between chunks is whole in the chunk that completes it.
    expect(prefilled).toContain('é ')
    expect(prefilled).toContain('€ ')
    expect(prefilled).not.toContain('\ufffd')
    expect(prefilled).not.toContain('</script> done')
    expect(prefilled).toContain('streamController.close()')
  })

  it('keeps a failed stream failing the render, and leaves a used stream alone', async () => {
    const error = new Error('encode failed')
    const streamed = await render(contextOf([chunks[0]!], error))
    const failed = contextOf([chunks[0]!], error)
    await readHandoffFirst(failed)
    const cache = Object.values(failed.renderMeta!.streamCache!)
    expect(cache.at(-1)!.error).toBe(error)
    // The boundary's error, as React writes it for the browser to render again.
    expect(streamed).toContain('encode failed')
    expect(await render(failed)).toBe(streamed)
    const used = contextOf(chunks)
    const reader = used.serverHandoffStream!.getReader()
    await readHandoffFirst(used)
    expect(used.renderMeta!.streamCache).toBeUndefined()
    reader.releaseLock()
  })
})
