/**
 * Fetches a route's JavaScript module now, while the network is there. A fetcher that posts to a
 * route whose module this page has not loaded yet (the customer page's action, from the ticket
 * page's customer card) first imports that module; offline the import fails and Remix reloads
 * the whole page, which ends on the browser's own offline page. Called when the agent starts
 * editing such a form; the browser keeps the module, so the later import needs no network. Not
 * tried offline: a failed module import is remembered by the browser, and would fail again later.
 */
export function preloadRouteModule(routeId: string) {
  const manifest = (
    window as { __remixManifest?: { routes: Record<string, { module: string } | undefined> } }
  ).__remixManifest
  const route = manifest?.routes[routeId]
  if (!route || !navigator.onLine || preloaded.has(routeId)) return
  void import(/* @vite-ignore */ route.module).then(
    () => preloaded.add(routeId),
    () => {},
  )
}

const preloaded = new Set<string>()

/**
 * Whether the page has a route's module (Remix loaded it, or `preloadRouteModule` did): a fetcher
 * may post to that route offline without Remix reloading the page to import it.
 */
export function isRouteModuleLoaded(routeId: string) {
  const modules = (window as { __remixRouteModules?: Record<string, unknown> }).__remixRouteModules
  return preloaded.has(routeId) || modules?.[routeId] !== undefined
}
