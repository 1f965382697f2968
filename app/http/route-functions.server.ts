import type { ServerBuild } from '@remix-run/node'

/** A loader or action as the build holds it, with what the wrappers here read of its arguments. */
export type RouteFunction = (args: {
  request: Request
  context: {
    databaseUnavailable?: boolean
    bodyTooLarge?: boolean
    requestId?: string
    dataRequest?: boolean
    answeredRetryAfter?: string
  }
}) => unknown

type Route = ServerBuild['routes'][string]

/** The build with every route's loader and action passed through `wrap` (with their route). */
export function wrapRouteFunctions(
  build: ServerBuild,
  wrap: (fn: RouteFunction, route: Route) => RouteFunction,
): ServerBuild {
  const routes = Object.fromEntries(
    Object.entries(build.routes).map(([id, route]) => {
      const { loader, action } = route.module
      if (!loader && !action) return [id, route]
      const module = {
        ...route.module,
        ...(loader && { loader: wrap(loader as RouteFunction, route) }),
        ...(action && { action: wrap(action as RouteFunction, route) }),
      }
      return [id, { ...route, module }]
    }),
  )
  return { ...build, routes } as ServerBuild
}
