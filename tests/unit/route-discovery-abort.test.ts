import { afterEach, beforeEach, expect, it, vi } from 'vitest'
// The client's lazy route discovery, as patched (patches/@remix-run+react+*.patch); no types for the path.
// @ts-expect-error a module of the package's build without declarations
import { getPatchRoutesOnNavigationFunction } from '@remix-run/react/dist/esm/fog-of-war.js'

// A click in the inbox opened "Page not found" once in CI: the click's navigation looked its path
// up (/__manifest) and was replaced while the answer arrived (a live event's revalidation restarts
// a loading navigation). Remix still marked the path discovered, but the replaced navigation's
// `patch` drops routes once its signal is aborted, so the navigation that replaced it skipped the
// lookup and matched no route.

type Patch = (parentId: string | null, children: unknown[]) => void
type PatchOnNavigation = (args: { path: string; patch: Patch; signal: AbortSignal }) => Promise<void>

const ROUTE = {
  id: 'routes/tickets.$number',
  parentId: 'root',
  path: 'tickets/:number',
  module: '/assets/ticket.js',
  hasAction: false,
  hasLoader: true,
  hasClientAction: false,
  hasClientLoader: false,
  hasErrorBoundary: false,
}

let lookups = 0
beforeEach(() => {
  lookups = 0
  vi.stubGlobal('window', { location: { origin: 'http://app.test', href: 'http://app.test/tickets' } })
  vi.stubGlobal('sessionStorage', { getItem: () => null, setItem: () => {}, removeItem: () => {} })
})
afterEach(() => {
  vi.unstubAllGlobals()
})

/** /__manifest answers; `whileAnswering` runs as its body is read (the navigation replaced then). */
function manifestAnswers(whileAnswering: () => void = () => {}) {
  vi.stubGlobal('fetch', async () => {
    lookups++
    return {
      ok: true,
      status: 200,
      headers: new Headers(),
      json: async () => {
        whileAnswering()
        return { [ROUTE.id]: ROUTE }
      },
    }
  })
}

function navigation() {
  const controller = new AbortController()
  const patched: unknown[] = []
  // As the router's own: nothing is patched for a navigation that was aborted.
  const patch: Patch = (_, children) => {
    if (!controller.signal.aborted) patched.push(...children)
  }
  return { controller, patched, patch }
}

it('looks a path up again for the navigation that replaced one aborted while its lookup was answered', async () => {
  const manifest = { version: 'v1', routes: { root: { id: 'root', path: '', module: '/root.js' } } }
  const patchRoutesOnNavigation = getPatchRoutesOnNavigationFunction(
    manifest,
    {},
    { v3_lazyRouteDiscovery: true, v3_singleFetch: true },
    false,
    '/',
  ) as PatchOnNavigation

  const first = navigation()
  manifestAnswers(() => first.controller.abort())
  await patchRoutesOnNavigation({ path: '/tickets/7', patch: first.patch, signal: first.controller.signal })
  expect(first.patched).toEqual([])

  const second = navigation()
  manifestAnswers()
  await patchRoutesOnNavigation({ path: '/tickets/7', patch: second.patch, signal: second.controller.signal })
  // Looked up again (it used to be skipped: no routes, "Page not found").
  expect(lookups).toBe(2)
  expect(second.patched).toHaveLength(1)
  expect(manifest.routes).toHaveProperty(ROUTE.id)

  // Once patched, the path is known: a later navigation does not look it up again.
  const third = navigation()
  manifestAnswers()
  await patchRoutesOnNavigation({ path: '/tickets/7', patch: third.patch, signal: third.controller.signal })
  expect(lookups).toBe(2)
})
