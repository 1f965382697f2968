import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { expect, it } from 'vitest'
import { LinkedText, linkedParts } from '#app/components/ui/linked-text.tsx'

const html = (text: string) => renderToStaticMarkup(createElement(LinkedText, { text }))

it('links http(s) URLs and bare www. addresses, leaving sentence punctuation outside', () => {
  expect(linkedParts('See https://shop.example/orders/12?x=1&y=2. Or www.example.org, thanks')).toEqual([
    'See ',
    { url: 'https://shop.example/orders/12?x=1&y=2', href: 'https://shop.example/orders/12?x=1&y=2' },
    '. Or ',
    { url: 'www.example.org', href: 'https://www.example.org' },
    ', thanks',
  ])
  expect(linkedParts('(see http://a.test/x) and https://en.wikipedia.org/wiki/Foo_(bar)')).toEqual([
    '(see ',
    { url: 'http://a.test/x', href: 'http://a.test/x' },
    ') and ',
    { url: 'https://en.wikipedia.org/wiki/Foo_(bar)', href: 'https://en.wikipedia.org/wiki/Foo_(bar)' },
  ])
})

it('links no other scheme and nothing that is not an address', () => {
  for (const text of [
    'javascript:alert(1)',
    'JaVaScRiPt:alert(document.cookie)//https://x.test',
    'data:text/html,<script>alert(1)</script>',
    'mailto:a@b.test',
    'www. and https:// alone',
  ]) {
    expect(html(text)).not.toMatch(/href="(?!https?:\/\/)/)
  }
  expect(html('javascript:alert(1)')).toBe('javascript:alert(1)')
})

it('keeps the text escaped and opens links in a new tab without a referrer', () => {
  expect(html('<b>hi</b> https://x.test/?q=<script> "quoted"')).toBe(
    '&lt;b&gt;hi&lt;/b&gt; <a href="https://x.test/?q=" target="_blank" rel="noopener noreferrer nofollow" class="text-blue-700 underline [overflow-wrap:anywhere] dark:text-blue-300">https://x.test/?q=</a>&lt;script&gt; &quot;quoted&quot;',
  )
})
