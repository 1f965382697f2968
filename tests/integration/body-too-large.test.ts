import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FORM_BODY_LIMIT } from '#app/http/app.server.ts'
import { FORM_TOO_LARGE_MESSAGE } from '#app/http/form-data.server.ts'
import { announcedPost } from '#tests/helpers/announced-post.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'

// A page's form post over the 1 MB body limit (no files) was refused before Remix with a bare
// plain-text 413: without JavaScript the form was gone behind a page saying only "Request body too
// large", and single fetch could not read the answer (the page said "Switchboard could not be
// reached"). Now the page gets the app's "Too large to send" error page, `.data` a refusal the
// client reads as a 413, and the API and MCP keep their structured 413s. None of them is read.

let server: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  server = await startTestServer({ sockets: false })
})
afterAll(async () => {
  await server.close()
})

/** A post announcing one byte over the limit, of which only the first KB is sent. */
const post = (path: string, headers: Record<string, string>) =>
  announcedPost(server.url + path, {
    announced: FORM_BODY_LIMIT + 1,
    sent: `intent=create&title=${'x'.repeat(1_000)}`,
    headers: { origin: server.url, ...headers },
  })

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

describe('a post over the 1 MB body limit', () => {
  it('answers a page’s form with the "Too large to send" page, and `.data` with a 413 the client reads', async () => {
    const owner = await createMember('owner')
    const page = `/w/${owner.workspace.slug}/settings/canned-responses`
    const answer = await post(page, { ...FORM, cookie: owner.cookie })
    expect(answer.status).toBe(413)
    expect(answer.type).toMatch(/^text\/html/)
    expect(answer.body).toContain('<title>Too large to send · Switchboard</title>')
    expect(answer.body).toMatch(/<h1[^>]*>Too large to send<\/h1>/)
    expect(answer.body).toContain(FORM_TOO_LARGE_MESSAGE)
    expect(answer.body).toMatch(new RegExp(`<a [^>]*href="${page}"[^>]*>Back to the form</a>`))
    expect(answer.body).toContain('/assets/') // the app's stylesheet and scripts

    // Signed out, a public page: the same page (its loaders run; the action is never called).
    const login = await post('/login', FORM)
    expect(login.status).toBe(413)
    expect(login.body).toMatch(/<h1[^>]*>Too large to send<\/h1>/)

    // With JavaScript: single fetch's encoding of a thrown 413, which the route's
    // keepPageWhenUnanswered turns into "Not saved: this is too large to send" by the form.
    const data = await post(`${page}.data`, { ...FORM, cookie: owner.cookie })
    expect(data.status).toBe(413)
    expect(data.type).toMatch(/^text\/x-script/)
    // turbo-stream's flat array: the thrown Response as the router's ErrorResponse, its status 413.
    expect(data.body).toMatch(/\["ErrorResponse",\d+,\d+,\d+\]/)
    expect(data.body).toContain(',413,')
    expect(data.body).toContain(FORM_TOO_LARGE_MESSAGE)
  })

  it('keeps problem+json for the API and a JSON-RPC error for MCP', async () => {
    const api = await post('/api/v1/tickets', { 'content-type': 'application/json' })
    expect(api.status).toBe(413)
    expect(api.type).toMatch(/^application\/problem\+json/)
    expect(JSON.parse(api.body)).toMatchObject({ status: 413 })

    const mcp = await post('/mcp', { 'content-type': 'application/json' })
    expect(mcp.status).toBe(413)
    expect(JSON.parse(mcp.body)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } })
  })

  it('still reads and judges a post within the limit', async () => {
    const owner = await createMember('owner')
    const response = await fetch(`${server.url}/w/${owner.workspace.slug}/settings/canned-responses`, {
      method: 'POST',
      headers: { ...FORM, cookie: owner.cookie, origin: server.url },
      body: new URLSearchParams({ intent: 'create', title: 'x'.repeat(200), body: 'Hello' }),
      redirect: 'manual',
    })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('Use at most 100 characters')
  })
})
