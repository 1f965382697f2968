import { createRequire } from 'node:module'
import path from 'node:path'
import { Writable } from 'node:stream'
import { createElement, type ReactElement } from 'react'
import type * as ReactDOMServer from 'react-dom/server'
import { describe, expect, it } from 'vitest'

// React 18.3.1's streaming renderer copies text into 2 KB views; when a multi-byte character did
// not fit at the end of one, it sent the whole view, unwritten bytes included: NUL bytes in the
// middle of pages (and of their hydration data) with German, Japanese or emoji text.
// patches/react-dom+18.3.1.patch sends only the bytes written, in both builds of the renderer.
const require = createRequire(import.meta.url)
const cjs = path.join(path.dirname(require.resolve('react-dom/package.json')), 'cjs')
const builds = {
  production: path.join(cjs, 'react-dom-server.node.production.min.js'),
  development: path.join(cjs, 'react-dom-server.node.development.js'),
}

function renderStreamed(build: string, element: ReactElement) {
  const { renderToPipeableStream } = require(build) as typeof ReactDOMServer
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    const sink = new Writable({
      write(chunk: Uint8Array, _encoding, callback) {
        chunks.push(Buffer.from(chunk))
        callback()
      },
      final(callback) {
        resolve(Buffer.concat(chunks))
        callback()
      },
    })
    const { pipe } = renderToPipeableStream(element, { onAllReady: () => pipe(sink), onShellError: reject })
  })
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
