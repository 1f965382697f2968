import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

/**
 * patches/@remix-run+server-runtime+2.17.5.patch: Remix hands each loader a copy of the request
 * without its `index` and `_routes` params (two undici Requests per loader, each tied to its
 * parent's signal through a FinalizationRegistry, which kept them for the full collections). The
 * copy is now made only when it would differ: a loader gets the request itself when it has no
 * body and no such param and its URL would come out the same.
 */
const require = createRequire(import.meta.url)
const fromNode = createRequire(require.resolve('@remix-run/node'))
const data = fromNode(fromNode.resolve('@remix-run/server-runtime').replace(/index\.js$/, 'data.js')) as {
  callRouteLoader: (args: {
    loadContext: unknown
    loader: (args: { request: Request }) => unknown
    params: object
    request: Request
    routeId: string
    singleFetch: boolean
  }) => Promise<unknown>
}

async function requestSeenByLoader(request: Request) {
  let seen: Request | undefined
  await data.callRouteLoader({
    loadContext: {},
    params: {},
    request,
    routeId: 'routes/test',
    singleFetch: true,
    loader: ({ request: given }) => {
      seen = given
      return null
    },
  })
  return seen!
}

describe("a loader's request (patched @remix-run/server-runtime)", () => {
  it('is the request itself when there is nothing to strip', async () => {
    const controller = new AbortController()
    for (const url of [
      'http://app.test/w/acme/tickets',
      'http://app.test/w/acme/tickets?view=all&q=refund',
    ]) {
      const request = new Request(url, { signal: controller.signal, headers: { cookie: 'a=b' } })
      expect(await requestSeenByLoader(request)).toBe(request)
    }
  })

  it('is a copy without index and _routes when they are there, aborted with the request', async () => {
    const controller = new AbortController()
    const request = new Request('http://app.test/w/acme/tickets?index&_routes=root,routes%2Fw&view=all', {
      signal: controller.signal,
      headers: { cookie: 'a=b' },
    })
    const seen = await requestSeenByLoader(request)
    expect(seen).not.toBe(request)
    expect(seen.url).toBe('http://app.test/w/acme/tickets?view=all')
    expect(seen.headers.get('cookie')).toBe('a=b')
    controller.abort()
    expect(seen.signal.aborted).toBe(true)
  })

  it('is a copy when the copy would spell its query differently (as Remix gave it before)', async () => {
    const request = new Request('http://app.test/w/acme/tickets?q=two%20words&t=~')
    const seen = await requestSeenByLoader(request)
    expect(seen).not.toBe(request)
    expect(seen.url).toBe('http://app.test/w/acme/tickets?q=two+words&t=%7E')
    expect(new URL(seen.url).searchParams.get('q')).toBe('two words')
  })

  it('is a copy when an index param is spelled with escapes', async () => {
    const seen = await requestSeenByLoader(new Request('http://app.test/w/acme/tickets?%69ndex&view=all'))
    expect(seen.url).toBe('http://app.test/w/acme/tickets?view=all')
  })
})
