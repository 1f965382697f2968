import { redirect, type ServerBuild } from '@remix-run/node'
import { describe, expect, it } from 'vitest'
import { withDataRequestGuard } from '#app/http/data-requests.server.ts'
import type { RouteFunction } from '#app/http/route-functions.server.ts'

// An action's redirect in a `.data` request carries X-Remix-Revalidate, so React Router loads the
// page it lands on even when only the hash changes (see data-requests.server.ts). A loader's
// redirect, or one outside `.data`, is left as it was; a redirect whose headers cannot change is
// passed on, not turned into an error.

type Fns = { loader?: () => unknown; action?: () => unknown; handle?: unknown }

/** The route's functions guarded; a page (a default export) unless `resource`. */
function guarded(fns: Fns, resource = false) {
  const module = resource ? fns : { default: () => null, ...fns }
  const build = { routes: { page: { id: 'page', module } } } as unknown as ServerBuild
  const wrapped = withDataRequestGuard(build).routes.page!.module as unknown as {
    loader: RouteFunction
    action: RouteFunction
  }
  const call = (fn: RouteFunction, method: string, dataRequest = true) =>
    fn({ request: new Request('http://app.test/w/a/tickets/1.data', { method }), context: { dataRequest } })
  return { module: wrapped, call }
}

async function settled(value: unknown) {
  try {
    return await value
  } catch (error) {
    return error
  }
}

describe('redirects through .data', () => {
  it('marks an action’s returned and thrown redirects to load where they land', async () => {
    const returned = guarded({ action: () => redirect('/w/a/tickets/1#m-1') })
    const answer = (await returned.call(returned.module.action, 'POST')) as Response
    expect(answer.headers.get('X-Remix-Revalidate')).toBe('yes')
    expect(answer.headers.get('Location')).toBe('/w/a/tickets/1#m-1')

    const thrown = guarded({
      action: () => {
        throw redirect('/login')
      },
    })
    const error = (await settled(thrown.call(thrown.module.action, 'POST'))) as Response
    expect(error.headers.get('X-Remix-Revalidate')).toBe('yes')
  })

  it('leaves a loader’s redirect, and one outside .data, as they were', async () => {
    const { module, call } = guarded({
      loader: () => redirect('/w/a/tickets/1#latest'),
      action: () => redirect('/w/a/tickets/1#m-1'),
    })
    expect(((await call(module.loader, 'GET')) as Response).headers.has('X-Remix-Revalidate')).toBe(false)
    expect(((await call(module.action, 'POST', false)) as Response).headers.has('X-Remix-Revalidate')).toBe(
      false,
    )
  })

  it('passes on a redirect whose headers cannot change', async () => {
    const { module, call } = guarded({ action: () => Response.redirect('http://app.test/w/a', 302) })
    const answer = (await call(module.action, 'POST')) as Response
    expect(answer.status).toBe(302)
    expect(answer.headers.get('Location')).toBe('http://app.test/w/a')
  })
})

describe('routes without a page through .data', () => {
  // Found from outside: `POST /api/v1/tickets.data` created a ticket, then the answer was refused
  // (a 404 a client retries into a duplicate). A resource route is now refused before it runs.
  it('refuses a resource route’s loader and action before running them', async () => {
    const ran: string[] = []
    const { module, call } = guarded(
      {
        loader: () => ran.push('loader') && Response.json({}),
        action: () => ran.push('action') && Response.json({}, { status: 201 }),
      },
      true,
    )
    for (const [fn, method] of [
      [module.loader, 'GET'],
      [module.action, 'POST'],
    ] as const) {
      const refused = (await settled(call(fn, method))) as Response
      expect(refused.status).toBe(404)
    }
    expect(ran).toEqual([])
    // Outside .data (the address itself) it runs as before.
    expect(((await call(module.action, 'POST', false)) as Response).status).toBe(201)
    expect(ran).toEqual(['action'])
  })

  it('runs one the app’s own forms post to (handle.dataRequests), and every page', async () => {
    const optedIn = guarded({ action: () => redirect('/login'), handle: { dataRequests: true } }, true)
    expect(((await optedIn.call(optedIn.module.action, 'POST')) as Response).headers.get('Location')).toBe(
      '/login',
    )
    const page = guarded({ action: () => ({ ok: true }) })
    expect(await page.call(page.module.action, 'POST')).toEqual({ ok: true })
  })
})
