import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiTokenFor } from '#tests/helpers/api.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'

let server: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  server = await startTestServer({ sockets: false })
})

afterAll(async () => {
  await server.close()
})

describe('Cache-Control on what one requester sees', () => {
  it('is no-store on signed-in pages, their .data, the API, MCP and the customer link; assets stay cacheable', async () => {
    const owner = await createMember('owner')
    const slug = owner.workspace.slug
    const ticket = await createTicketFor(owner, { subject: 'My private order' })
    const { token } = await apiTokenFor(owner)
    const signedIn = { cookie: owner.cookie }
    const answers: Array<[string, Response]> = []
    for (const path of [
      `/w/${slug}/tickets`,
      `/w/${slug}/tickets/${ticket.number}`,
      `/w/${slug}/tickets/${ticket.number}.data`,
      `/w/${slug}/customers`,
      `/w/${slug}/settings/members`,
      `/w/${slug}/account`,
    ]) {
      answers.push([path, await fetch(server.url + path, { headers: signedIn, redirect: 'manual' })])
    }
    answers.push([
      'the API',
      await fetch(`${server.url}/api/v1/tickets/${ticket.number}`, {
        headers: { authorization: `Bearer ${token}` },
      }),
    ])
    answers.push([
      'MCP',
      await fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 'x', version: '1' },
          },
        }),
      }),
    ])
    answers.push([
      'the customer link',
      await fetch(ticket.customerLink.replace(/^https?:\/\/[^/]+/, server.url)),
    ])
    for (const [what, res] of answers) {
      expect(res.status, what).toBe(200)
      expect(res.headers.get('cache-control'), what).toBe('no-store')
      await res.body?.cancel()
    }
    // The ticket's words were really in an answer that is now no-store.
    const page = await fetch(`${server.url}/w/${slug}/tickets/${ticket.number}`, { headers: signedIn })
    expect(await page.text()).toContain('My private order')

    // Hashed assets and public files keep their own caching.
    const asset = fs.readdirSync('build/client/assets').find((f) => f.endsWith('.js'))!
    const assetAnswer = await fetch(`${server.url}/assets/${asset}`)
    expect(assetAnswer.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    const favicon = await fetch(`${server.url}/favicon.svg`)
    expect(favicon.headers.get('cache-control')).toBe('public, max-age=3600')
    // A route's own choice replaces the default (the public OpenAPI document).
    const openapi = await fetch(`${server.url}/api/v1/openapi.json`)
    expect(openapi.headers.get('cache-control')).toBe('public, max-age=300')
  })
})
