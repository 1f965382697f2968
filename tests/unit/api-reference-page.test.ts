import { describe, expect, it } from 'vitest'
import * as apiDocsRoute from '#app/routes/api.docs._index.ts'
import { callLoader } from '#tests/helpers/routes.ts'

describe('the API reference page', () => {
  it('names the app’s icon, so the browser does not ask for a missing /favicon.ico', async () => {
    const page = await callLoader(apiDocsRoute, '/api/docs')
    expect(page.status).toBe(200)
    expect(page.data).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml">')
  })
})
