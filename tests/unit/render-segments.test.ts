import { createRequire } from 'node:module'
import path from 'node:path'
import { createElement, Suspense } from 'react'
import type * as ReactDOMServer from 'react-dom/server'
import { describe, expect, it, vi } from 'vitest'
import { renderPageBytes } from '#app/http/page-bytes.server.ts'

// patches/react-dom+18.3.1.patch adds renderToStringSegments to React's legacy (renderToString)
// renderer, in both builds: the same markup as renderToString, in strings of whole chunks, so the
// page is encoded piece by piece (app/http/page-bytes.server.ts) instead of flattening one rope of
// thousands of chunks first.
const require = createRequire(import.meta.url)
const cjs = path.join(path.dirname(require.resolve('react-dom/package.json')), 'cjs')
const builds = {
  production: path.join(cjs, 'react-dom-server-legacy.node.production.min.js'),
  development: path.join(cjs, 'react-dom-server-legacy.node.development.js'),
}

// Texts of many lengths mixing 1-, 2-, 3- and 4-byte characters and characters React escapes, so
// that every kind lands on the segments' boundaries.
const texts = Array.from({ length: 300 }, (_, i) => {
  const pieces = ['a', 'ü', '€', '日本語', '😀', ' ', '<b>', '&', '"']
  return Array.from({ length: (i * 37) % 250 }, (_, j) => pieces[(i + j) % pieces.length]).join('')
})
const page = createElement(
  'html',
  { lang: 'en' },
  createElement('head', null, createElement('title', null, 'Inbox · Switchboard')),
  createElement(
    'body',
    null,
    texts.map((text, i) => createElement('p', { key: i, title: text.slice(0, 20) }, text)),
    createElement('div', { dangerouslySetInnerHTML: { __html: '<i>as is …</i>' } }),
  ),
)

describe('renderToStringSegments (patched React)', () => {
  for (const [name, file] of Object.entries(builds)) {
    it(`${name} build: joined, the segments are renderToString's markup; each but the last ≥ 2,048 characters`, () => {
      const server = require(file) as typeof ReactDOMServer & {
        renderToStringSegments: (element: unknown) => string[]
      }
      const whole = server.renderToString(page)
      const segments = server.renderToStringSegments(page)
      expect(segments.join('')).toBe(whole)
      expect(segments.length).toBeGreaterThan(10)
      for (const segment of segments.slice(0, -1)) expect(segment.length).toBeGreaterThanOrEqual(2048)
      // A page smaller than one segment is one segment.
      const small = createElement('p', null, 'Zoë')
      expect(server.renderToStringSegments(small)).toEqual([server.renderToString(small)])
    })
  }
})

describe('renderPageBytes', () => {
  it("is the doctype and renderToString's markup as UTF-8, page after page", async () => {
    const { renderToString } = await import('react-dom/server')
    const expected = Buffer.from(`<!DOCTYPE html>${renderToString(page)}`)
    // The scratch buffer is reused: a second, shorter page must not carry the first one's tail.
    expect(renderPageBytes(page)!.equals(expected)).toBe(true)
    const short = createElement('html', null, createElement('body', null, '😀 ok'))
    expect(renderPageBytes(short)!.toString('utf8')).toBe('<!DOCTYPE html><html><body>😀 ok</body></html>')
    expect(renderPageBytes(page)!.equals(expected)).toBe(true)
  })

  it('gives up (null) when a component suspended, so the streaming renderer can wait for it', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    function Waits(): never {
      throw new Promise(() => {})
    }
    const suspends = createElement(
      'html',
      null,
      createElement('body', null, createElement(Suspense, { fallback: 'loading' }, createElement(Waits))),
    )
    expect(renderPageBytes(suspends)).toBeNull()
    error.mockRestore()
  })
})
