import { redirect, type ServerBuild } from '@remix-run/node'
import { describe, expect, it } from 'vitest'
import { withDataRequestGuard } from '#app/http/data-requests.server.ts'
import type { RouteFunction } from '#app/http/route-functions.server.ts'

// An action's redirect in a `.data` request carries X-Remix-Revalidate, so React Router loads the
// page it lands on even when only the hash changes (see data-requests.server.ts). A loader's
// redirect, or one outside `.data`, is left as it was; a redirect whose headers cannot change is
// passed on, not turned into an error.

function guarded(fns: { loader?: () => unknown; action?: () => unknown }) {
  const build = { routes: { page: { id: 'page', module: fns } } } as unknown as ServerBuild
  const module = withDataRequestGuard(build).routes.page!.module as unknown as {
    loader: RouteFunction
    action: RouteFunction
  }
  const call = (fn: RouteFunction, method: string, dataRequest = true) =>
    fn({ request: new Request('http://app.test/w/a/tickets/1.data', { method }), context: { dataRequest } })
  return { module, call }
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
