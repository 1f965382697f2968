import { describe, expect, it } from 'vitest'
import { safeRedirect } from '#app/utils/redirect.ts'

describe('safeRedirect', () => {
  it('keeps a same-origin path', () => {
    expect(safeRedirect('/w/acme', '/fallback')).toBe('/w/acme')
  })

  it('keeps the query string and hash of a same-origin path', () => {
    expect(safeRedirect('/w/acme/tickets?status=open&page=2#t-42', '/fallback')).toBe(
      '/w/acme/tickets?status=open&page=2#t-42',
    )
  })

  it('falls back to "/" when no fallback is given', () => {
    expect(safeRedirect('https://evil.com')).toBe('/')
  })

  it.each([
    ['a protocol-relative URL', '//evil.com'],
    ['a backslash that browsers read as a second slash', '/\\evil.com'],
    ['an absolute URL', 'https://evil.com'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a relative path without a leading slash', 'w/acme'],
    ['an empty string', ''],
  ])('refuses %s', (_what, target) => {
    expect(safeRedirect(target, '/fallback')).toBe('/fallback')
  })

  it.each([
    ['a parent segment', '/..//evil.com'],
    ['a current segment', '/.//evil.com'],
    ['a percent-encoded parent segment', '/%2e%2e//evil.com'],
    ['a parent segment after a real one', '/w/..//evil.com'],
    ['a current segment before a backslash', '/./\\evil.com'],
  ])('refuses a path that only becomes protocol-relative once %s is resolved', (_what, target) => {
    expect(safeRedirect(target, '/fallback')).toBe('/fallback')
  })

  it('falls back when the value is missing', () => {
    expect(safeRedirect(null, '/fallback')).toBe('/fallback')
    expect(safeRedirect(undefined, '/fallback')).toBe('/fallback')
  })

  it('falls back when the form value is a file rather than a string', () => {
    const file = new File(['/w/acme'], 'redirect.txt')
    expect(safeRedirect(file, '/fallback')).toBe('/fallback')
  })

  it.each([
    ['a tab', '/\t/evil.com'],
    ['a newline', '/\n/evil.com'],
    ['a carriage return', '/w/acme\r\nSet-Cookie: x=1'],
    ['a NUL byte', '/w/acme\u0000'],
  ])('refuses a path containing %s', (_what, target) => {
    expect(safeRedirect(target, '/fallback')).toBe('/fallback')
  })

  it('refuses a target over 2,000 characters, as given or once normalised', () => {
    const path = `/w/acme/tickets?q=${'a'.repeat(1_982)}`
    expect(path).toHaveLength(2_000)
    expect(safeRedirect(path, '/fallback')).toBe(path)
    expect(safeRedirect(`${path}a`, '/fallback')).toBe('/fallback')
    // 700 spaces become 2,100 characters of %20.
    expect(safeRedirect(`/w/acme/${' '.repeat(700)}x`, '/fallback')).toBe('/fallback')
  })
})
