import type { ServerBuild } from '@remix-run/node'
import { withHead } from '#app/api/problem.server.ts'
import { remixRuntime, type RouteTree } from './single-fetch-loaders.server.ts'
import { isMcpPath } from './refusal.server.ts'

/**
 * The methods one resource answers (RFC 9110 §10.2.1: `Allow` lists the target resource's own
 * methods, not the server's), for OPTIONS and for the 405 of a method it does not take:
 * - an /api/v1 resource: its operations' methods (`apiRoute` marks its handler with them);
 * - a page or resource route of the app: GET and HEAD where it has a loader or a page, POST
 *   where it has an action (no page of ours takes PUT, PATCH or DELETE);
 * - /mcp and SendGrid's webhooks: POST; anything else Express serves (public files, /healthz):
 *   GET and HEAD.
 * Undefined when nothing answers the path (a 404).
 */
export function allowedMethods(build: ServerBuild, path: string): string[] | undefined {
  if (isMcpPath(path) || /^\/webhooks\/sendgrid\/(?:inbound(?:\/[^/]+)?|events)\/?$/.test(path))
    return ['POST']
  if (path === '/healthz' || path === '/readyz' || /\.[a-z0-9]+$/i.test(path)) return ['GET', 'HEAD']
  const matches = remixRuntime().matchRoutes(routeTree(build), path)
  const leaf = matches?.at(-1)?.route
  if (!leaf || leaf.path === '*' || leaf.path?.endsWith('/*')) return undefined
  const module = build.routes[leaf.id]?.module
  if (!module) return undefined
  const marked = (module.loader as { methods?: readonly string[] } | undefined)?.methods
  if (marked) return withHead(marked)
  return [...(module.loader || module.default ? ['GET', 'HEAD'] : []), ...(module.action ? ['POST'] : [])]
}

const trees = new WeakMap<ServerBuild, RouteTree[]>()

/** The build's route manifest as the nested tree Remix's router matches against. */
function routeTree(build: ServerBuild) {
  let tree = trees.get(build)
  if (tree) return tree
  const nodes = new Map<string, RouteTree>()
  for (const route of Object.values(build.routes)) {
    nodes.set(route.id, {
      id: route.id,
      path: route.path,
      index: route.index,
      caseSensitive: route.caseSensitive,
    })
  }
  tree = []
  for (const route of Object.values(build.routes)) {
    const node = nodes.get(route.id)!
    const parent = route.parentId ? nodes.get(route.parentId) : undefined
    if (parent) (parent.children ??= []).push(node)
    else tree.push(node)
  }
  trees.set(build, tree)
  return tree
}
