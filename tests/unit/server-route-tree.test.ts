import { createRequire } from 'node:module'
import type * as Router from '@remix-run/router'
import { describe, expect, it } from 'vitest'

// patches/react-router-dom+6.30.4.patch and patches/@remix-run+react+2.17.5.patch (applied by
// `postinstall: patch-package`) keep the server's route tree, its data routes and the parent paths'
// route ids across page renders instead of rebuilding them per page. The CommonJS builds, as the
// server loads them (the browser's ES module builds are not patched).
const require = createRequire(import.meta.url)
const { createStaticHandler } = require('@remix-run/router') as typeof Router
type StaticRouter = {
  routes: Router.AgnosticDataRouteObject[]
  basename: string
  state: { location: { pathname: string }; matches: Array<{ route: { id: string } }> }
}
const { createStaticRouter } = require('react-router-dom/server.js') as {
  createStaticRouter: (routes: Router.AgnosticRouteObject[], context: unknown) => StaticRouter
}
const { getPartialManifest } = require('@remix-run/react/dist/fog-of-war.js') as {
  getPartialManifest: (
    manifest: { routes: Record<string, unknown> },
    router: StaticRouter,
  ) => { routes: Record<string, unknown> }
}

const routes: Router.AgnosticRouteObject[] = [
  {
    id: 'root',
    path: '',
    children: [
      { id: 'home', index: true },
      {
        id: 'workspace',
        path: 'w/:slug',
        children: [
          { id: 'workspace-home', index: true },
          { id: 'inbox', path: 'tickets', index: false },
          { id: 'ticket', path: 'tickets/:number' },
        ],
      },
    ],
  },
]

async function contextFor(path: string) {
  const handler = createStaticHandler(routes)
  const context = await handler.query(new Request(`http://localhost${path}`))
  if (context instanceof Response) throw new Error('unexpected response')
  return context
}

describe('the server route tree (patched react-router-dom and @remix-run/react)', () => {
  it('reuses the data routes for the same route tree, with each page its own location and matches', async () => {
    const inbox = createStaticRouter(routes, await contextFor('/w/acme/tickets'))
    const ticket = createStaticRouter(routes, await contextFor('/w/other/tickets/7'))
    expect(ticket.routes).toBe(inbox.routes)
    expect(inbox.state.location.pathname).toBe('/w/acme/tickets')
    expect(ticket.state.location.pathname).toBe('/w/other/tickets/7')
    expect(inbox.state.matches.map((m) => m.route.id)).toEqual(['root', 'workspace', 'inbox'])
    expect(ticket.state.matches.map((m) => m.route.id)).toEqual(['root', 'workspace', 'ticket'])
    // The matches are the router's own data routes, as before the patch.
    const workspace = inbox.routes[0]!.children!.find((r) => r.id === 'workspace')
    expect(inbox.state.matches[1]!.route).toBe(workspace)
    // One state object per page, not one per read.
    expect(inbox.state).toBe(inbox.state)
    // Another route tree (a new build) gets its own data routes.
    const rebuilt = createStaticRouter(structuredClone(routes), await contextFor('/w/acme/tickets'))
    expect(rebuilt.routes).not.toBe(inbox.routes)
  })

  it("puts the parent paths' index routes in the initial manifest, for each page's own paths", async () => {
    const manifest = {
      routes: Object.fromEntries(
        ['root', 'home', 'workspace', 'workspace-home', 'inbox', 'ticket'].map((id) => [id, { id }]),
      ),
    }
    const ids = async (path: string) =>
      Object.keys(
        getPartialManifest(manifest, createStaticRouter(routes, await contextFor(path))).routes,
      ).sort()
    const ticketPage = ['home', 'inbox', 'root', 'ticket', 'workspace', 'workspace-home']
    expect(await ids('/w/acme/tickets/7')).toEqual(ticketPage)
    // Asked twice (the second from the kept ids), and for a shorter path: the same as matching.
    expect(await ids('/w/acme/tickets/7')).toEqual(ticketPage)
    expect(await ids('/w/acme')).toEqual(['home', 'root', 'workspace', 'workspace-home'])
  })
})
