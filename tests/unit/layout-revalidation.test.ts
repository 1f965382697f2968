import { describe, expect, it } from 'vitest'
import { layoutShouldRevalidate } from '#app/utils/layout-revalidation.ts'

const args = (
  from: string,
  to: string,
  extra: Partial<Parameters<typeof layoutShouldRevalidate>[0]> = {},
) => {
  const currentUrl = new URL(from, 'http://localhost')
  const nextUrl = new URL(to, 'http://localhost')
  const slug = (url: URL) => url.pathname.split('/')[2]
  return {
    currentUrl,
    nextUrl,
    currentParams: { slug: slug(currentUrl) },
    nextParams: { slug: slug(nextUrl) },
    defaultShouldRevalidate: true,
    ...extra,
  } as Parameters<typeof layoutShouldRevalidate>[0]
}

describe('workspace layout revalidation', () => {
  it('skips the layout when only the query string of the same page changes', () => {
    expect(layoutShouldRevalidate(args('/w/a/tickets/7', '/w/a/tickets/7?thread=all'))).toBe(false)
    expect(layoutShouldRevalidate(args('/w/a/tickets?view=open', '/w/a/tickets?view=mine'))).toBe(false)
  })

  it('reruns it after an action, on a live-update revalidation, and on another page or workspace', () => {
    expect(
      layoutShouldRevalidate(args('/w/a/tickets/7', '/w/a/tickets/7?thread=all', { formMethod: 'POST' })),
    ).toBe(true)
    // useRevalidator(): the same URL.
    expect(layoutShouldRevalidate(args('/w/a/tickets?view=mine', '/w/a/tickets?view=mine'))).toBe(true)
    expect(layoutShouldRevalidate(args('/w/a/tickets', '/w/a/tickets/7'))).toBe(true)
    expect(layoutShouldRevalidate(args('/w/a/tickets?view=open', '/w/b/tickets?view=mine'))).toBe(true)
  })
})
