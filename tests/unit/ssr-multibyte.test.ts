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
// patches/react-dom+18.3.1.patch joins a flush's chunks as text, encodes it in pieces of about
// 2,048 characters into one growing buffer, and writes the buffer once when the flush completes,
// in both builds of the renderer: one write per flush, no views at all.
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

// The flush's text is encoded piece by piece into a buffer that grows when a piece might not fit
// (three bytes a UTF-16 unit). Pages whose UTF-8 size falls on either side of the first buffer's
// size or of a piece's boundary, and lone surrogates, must come out exactly as UTF-8.
describe("the patched renderer's encoding", () => {
  const render = (build: string, text: string) =>
    renderStreamed(build, createElement('p', null, text)).then((bytes) => bytes.toString('hex'))
  const expected = (text: string) => Buffer.from(`<p>${text}</p>`, 'utf8').toString('hex')

  for (const [name, build] of Object.entries(builds)) {
    it(`encodes pages just under, at and over the buffer's room byte for byte (${name} build)`, async () => {
      // 1,007 characters in the flush ("<p>" + 1,000 + "</p>"): room for 1,148 bytes. Each "€"
      // instead of an "a" adds 2 bytes: 60 to 75 of them give 1,127 to 1,157 bytes.
      for (let euros = 60; euros <= 75; euros++) {
        const text = '€'.repeat(euros) + 'a'.repeat(1000 - euros)
        expect(await render(build, text)).toBe(expected(text))
      }
      // A 4-byte character at the very end of the room.
      for (let pad = 0; pad < 8; pad++) {
        const text = `${'a'.repeat(1000 - pad)}😀${'b'.repeat(pad)}`
        expect(await render(build, text)).toBe(expected(text))
      }
      // Around the first buffer's 16 KB and the pieces' 2,048 characters: many chunks, each
      // with 1- to 4-byte characters, over 6,000 to 40,000 bytes.
      for (const count of [400, 1300, 2700]) {
        const items = Array.from({ length: count }, (_, i) =>
          ['a', 'ü', '€', '😀'][i % 4]!.repeat(1 + (i % 7)),
        )
        const bytes = await renderStreamed(
          build,
          createElement(
            'ul',
            null,
            items.map((item, i) => createElement('li', { key: i }, item)),
          ),
        )
        expect(bytes.toString('hex')).toBe(
          Buffer.from(`<ul>${items.map((item) => `<li>${item}</li>`).join('')}</ul>`, 'utf8').toString('hex'),
        )
      }
    })

    it(`writes a lone surrogate as U+FFFD, in a short page and in a wide one (${name} build)`, async () => {
      expect(await render(build, 'a\ud800b')).toBe(expected('a\ufffdb'))
      const wide = `${'日本語'.repeat(200)}\udc00`
      expect(await render(build, wide)).toBe(expected(`${'日本語'.repeat(200)}\ufffd`))
    })
  }
})
