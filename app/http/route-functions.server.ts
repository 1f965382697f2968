import type { ServerBuild } from '@remix-run/node'

/** A loader or action as the build holds it, with what the wrappers here read of its arguments. */
export type RouteFunction = (args: {
  request: Request
  context: {
    databaseUnavailable?: boolean
    requestId?: string
    dataRequest?: boolean
    answeredRetryAfter?: string
  }
}) => unknown

/** The build with every route's loader and action passed through `wrap`. */
export function wrapRouteFunctions(
  build: ServerBuild,
  wrap: (fn: RouteFunction) => RouteFunction,
): ServerBuild {
  const routes = Object.fromEntries(
    Object.entries(build.routes).map(([id, route]) => {
      const { loader, action } = route.module
      if (!loader && !action) return [id, route]
      const module = {
        ...route.module,
        ...(loader && { loader: wrap(loader as RouteFunction) }),
        ...(action && { action: wrap(action as RouteFunction) }),
      }
      return [id, { ...route, module }]
    }),
  )
  return { ...build, routes } as ServerBuild
}
