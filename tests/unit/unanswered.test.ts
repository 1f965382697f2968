import { describe, expect, it } from 'vitest'
import { actionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { neverAnswered, UNANSWERED } from '#app/utils/unanswered.ts'

/** What Remix hands a clientLoader/clientAction for an error status (an ErrorResponse's shape). */
function errorResponse(status: number) {
  return { status, statusText: '', internal: false, data: null }
}

describe('neverAnswered', () => {
  it('treats a network failure and a 5xx as no answer: the page stays as it was', () => {
    expect(neverAnswered(new TypeError('Failed to fetch'))).toBe(true)
    expect(neverAnswered(errorResponse(502))).toBe(true)
    expect(neverAnswered(new Error('Unexpected end of stream'))).toBe(true)
  })

  it('leaves redirects and refusals (403, 404) to their usual path', () => {
    expect(neverAnswered(new Response(null, { status: 302, headers: { location: '/' } }))).toBe(false)
    expect(neverAnswered(errorResponse(404))).toBe(false)
    expect(neverAnswered(errorResponse(403))).toBe(false)
  })

  it('gives a result after which no loader reloads (offline, that reload would fail too)', () => {
    expect(actionNeverArrived(UNANSWERED)).toBe(true)
    expect(actionNeverArrived({ result: {} })).toBe(false)
  })
})
