import { createRequire } from 'node:module'
import path from 'node:path'
import { Writable } from 'node:stream'
import { createElement, Suspense, type ReactElement } from 'react'
import type * as ReactDOMServer from 'react-dom/server'
import { describe, expect, it } from 'vitest'

// React 18.3.1's streaming renderer copied text into 2 KB views; when a multi-byte character did
// not fit at the end of one, it sent the whole view, unwritten bytes included: NUL bytes in the
// middle of pages (and of their hydration data) with German, Japanese or emoji text. Encoding
// every small chunk into those views was also ~15% of a page's render time.
// patches/react-dom+18.3.1.patch joins a flush's chunks as text and encodes them once when the
// flush completes, in both builds of the renderer: one write per flush, no views at all.
const require = createRequire(import.meta.url)
const cjs = path.join(path.dirname(require.resolve('react-dom/package.json')), 'cjs')
const builds = {
  production: path.join(cjs, 'react-dom-server.node.production.min.js'),
  development: path.join(cjs, 'react-dom-server.node.development.js'),
}

/** Renders to a sink that records each write; piped when all is ready, or at the shell. */
function renderWrites(build: string, element: ReactElement, pipeAt: 'allReady' | 'shell' = 'allReady') {
  const { renderToPipeableStream } = require(build) as typeof ReactDOMServer
  return new Promise<Buffer[]>((resolve, reject) => {
    const writes: Buffer[] = []
    const sink = new Writable({
      write(chunk: Uint8Array, _encoding, callback) {
        writes.push(Buffer.from(chunk))
        callback()
      },
      final(callback) {
        resolve(writes)
        callback()
      },
    })
    const { pipe } = renderToPipeableStream(element, {
      onShellReady: () => pipeAt === 'shell' && pipe(sink),
      onAllReady: () => pipeAt === 'allReady' && pipe(sink),
      onShellError: reject,
    })
  })
}

async function renderStreamed(build: string, element: ReactElement) {
  return Buffer.concat(await renderWrites(build, element))
}

// Texts of every length up to a few hundred characters, mixing 1-, 2-, 3- and 4-byte characters, so
// that characters of every width land on the views' boundaries.
const texts = Array.from({ length: 400 }, (_, i) => {
  const pieces = ['a', 'ü', '€', '日本語', '😀', ' ']
  return Array.from({ length: (i * 37) % 300 }, (_, j) => pieces[(i + j) % pieces.length]).join('')
})
const page = createElement(
  'main',
  null,
  texts.map((text, i) => createElement('p', { key: i, title: text.slice(0, 20) }, text)),
)

describe('server-rendered pages with multi-byte text', () => {
  for (const [name, build] of Object.entries(builds)) {
    it(`has no NUL bytes and every text intact (${name} build)`, async () => {
      const bytes = await renderStreamed(build, page)
      expect(bytes.includes(0)).toBe(false)
      const html = bytes.toString('utf8')
      expect(html).not.toContain('\ufffd')
      for (const text of texts) expect(html).toContain(`>${text}</p>`)
    })
  }
})

describe("the patched renderer's writes", () => {
  for (const [name, build] of Object.entries(builds)) {
    it(`sends a page rendered whole in one write (${name} build)`, async () => {
      const writes = await renderWrites(build, page)
      expect(writes).toHaveLength(1)
      expect(writes[0]!.byteLength).toBeGreaterThan(100_000)
    })

    it(`still streams: the shell first, a suspended part when it resolves (${name} build)`, async () => {
      let release!: () => void
      const ready = new Promise<void>((resolve) => (release = resolve))
      let done = false
      function Slow() {
        if (!done) throw ready.then(() => void (done = true))
        return createElement('p', null, 'später geladen 😀')
      }
      const element = createElement(
        'main',
        null,
        createElement('h1', null, 'Übersicht'),
        createElement(Suspense, { fallback: createElement('p', null, 'Lädt…') }, createElement(Slow)),
      )
      const rendering = renderWrites(build, element, 'shell')
      setTimeout(release, 20)
      const writes = await rendering
      expect(writes.length).toBeGreaterThanOrEqual(2)
      const [shell, ...rest] = writes.map((write) => write.toString('utf8'))
      expect(shell).toContain('Übersicht')
      expect(shell).toContain('Lädt…')
      expect(shell).not.toContain('später geladen')
      expect(rest.join('')).toContain('später geladen 😀')
    })
  }
})
