import fs from 'node:fs'
import { createRequire } from 'node:module'
import type * as Router from '@remix-run/router'
import { describe, expect, it } from 'vitest'

// The CommonJS build, as @remix-run/server-runtime loads it on the server (the browser bundle is the
// ES module build, which is not patched); a plain import here would get the ES module build.
const require = createRequire(import.meta.url)
const routerFile = require.resolve('@remix-run/router')
const { createMemoryHistory, createRouter, matchPath, matchRoutes } =
  require('@remix-run/router') as typeof Router

// patches/@remix-run+router+1.23.3.patch (applied by `postinstall: patch-package`) keeps the ranked
// route branches per routes array and the compiled path patterns, which Remix rebuilt several times
// per request, and the matches of each pathname (3-5 matchings of one path per request). These tests
// pin down that matching behaves exactly as before.

const routes: Router.AgnosticRouteObject[] = [
  {
    id: 'root',
    path: '/',
    children: [
      { id: 'home', index: true },
      {
        id: 'workspace',
        path: 'w/:slug',
        children: [
          { id: 'inbox', path: 'tickets' },
          { id: 'ticket', path: 'tickets/:number' },
          { id: 'new', path: 'tickets/new' },
        ],
      },
      { id: 'splat', path: '*' },
    ],
  },
]

describe('route matching (patched @remix-run/router)', () => {
  it('is the patched build that Node loads', () => {
    expect(routerFile).toMatch(/router\.cjs\.js$/)
    expect(fs.readFileSync(routerFile, 'utf8')).toContain('Switchboard patch')
  })

  it('gives the same matches, params and ranking when the same tree is matched again', () => {
    for (let round = 0; round < 3; round++) {
      expect(matchRoutes(routes, '/w/acme/tickets/new')?.map((m) => m.route.id)).toEqual([
        'root',
        'workspace',
        'new',
      ])
      const ticket = matchRoutes(routes, '/w/acme/tickets/42')
      expect(ticket?.map((m) => m.route.id)).toEqual(['root', 'workspace', 'ticket'])
      expect(ticket?.at(-1)?.params).toEqual({ slug: 'acme', number: '42' })
      expect(matchRoutes(routes, '/W/Other/TICKETS')?.at(-1)?.params).toEqual({ slug: 'Other' })
      expect(matchRoutes(routes, '/nowhere/at/all')?.at(-1)?.params).toEqual({ '*': 'nowhere/at/all' })
      expect(matchRoutes(routes, '/')?.map((m) => m.route.id)).toEqual(['root', 'home'])
    }
  })

  it('hands each caller its own match objects for a pathname matched before', () => {
    const first = matchRoutes(routes, '/w/acme/tickets/7')!
    ;(first[2]!.params as Record<string, string>).number = 'changed by a caller'
    first[2]!.pathname = '/elsewhere'
    const second = matchRoutes(routes, '/w/acme/tickets/7')!
    expect(second).not.toBe(first)
    expect(second[2]).toEqual({
      params: { slug: 'acme', number: '7' },
      pathname: '/w/acme/tickets/7',
      pathnameBase: '/w/acme/tickets/7',
      route: first[2]!.route,
    })
    // One params object for all of a branch's matches, as matchRouteBranch builds them.
    expect(second[0]!.params).toBe(second[2]!.params)
    // Encoded and decoded spellings of one path match alike; an unmatched path stays unmatched.
    expect(matchRoutes(routes, '/w/a%20b/tickets')?.at(-1)?.params).toEqual({ slug: 'a b' })
    expect(matchRoutes(routes, '/w/a b/tickets')?.at(-1)?.params).toEqual({ slug: 'a b' })
    const tree = [{ id: 'only', path: '/only' }]
    expect(matchRoutes(tree, '/other')).toBeNull()
    expect(matchRoutes(tree, '/other')).toBeNull()
  })

  it('keeps case sensitivity and partial matching apart for one pattern', () => {
    const pattern = { path: '/w/:slug', caseSensitive: true, end: true }
    expect(matchPath(pattern, '/w/acme')?.params).toEqual({ slug: 'acme' })
    expect(matchPath(pattern, '/W/acme')).toBeNull()
    expect(matchPath({ ...pattern, caseSensitive: false }, '/W/acme')?.params).toEqual({ slug: 'acme' })
    expect(matchPath(pattern, '/w/acme/tickets')).toBeNull()
    expect(matchPath({ ...pattern, end: false }, '/w/acme/tickets')?.pathnameBase).toBe('/w/acme')
  })

  it('skips no branch that could match: the same matches with and without the prefilter', () => {
    // The app's own route files as paths (flat, under one root), the nested tree above, and
    // shapes the app does not use (optional segments, a case-sensitive route, a non-ASCII
    // literal, a dotted literal, a nested splat).
    const files = fs
      .readdirSync(new URL('../../app/routes', import.meta.url))
      .filter((f) => !/\.server\.ts$/.test(f))
    const appPath = (file: string) =>
      file
        .replace(/\.tsx?$/, '')
        .replace(/\[\.\]/g, '<dot>')
        .split('.')
        .filter((part) => part !== '_index')
        .map((part) => (part === '$' ? '*' : part.replace(/^\$/, ':').replace(/_$/, '')))
        .join('/')
        .replace(/<dot>/g, '.')
    const tree = (): Router.AgnosticRouteObject[] => [
      {
        id: 'root',
        path: '/',
        children: [
          ...files.map((file) => ({
            id: file,
            path: appPath(file) || undefined,
            index: appPath(file) === '',
          })),
          { id: 'optional', path: 'docs/:lang?/guide/:page?' },
          { id: 'exact-case', path: 'Exact/Case', caseSensitive: true },
          { id: 'accented', path: 'café/:id' },
          { id: 'dotted', path: 'robots.txt' },
          {
            id: 'nested',
            path: 'files',
            children: [
              { id: 'files-splat', path: '*' },
              { id: 'files-index', index: true },
            ],
          },
          ...routes[0]!.children!,
        ],
      },
    ]
    const samples = ['acme', '42', 'a b', 'A%20B', 'new', 'tickets', 'ai']
    const paths = new Set<string>([
      '/',
      '',
      '//',
      '/w',
      '/w/',
      '/W/ACME',
      '/api',
      '/api/v1',
      '/café/1',
      '/CAFÉ/1',
    ])
    for (const file of files) {
      const pattern = appPath(file)
      for (const sample of samples) {
        const path =
          '/' +
          pattern
            .split('/')
            .map((part) => (part.startsWith(':') ? sample : part === '*' ? `${sample}/x` : part))
            .join('/')
        for (const variant of [
          path,
          path.toUpperCase(),
          `${path}/`,
          `${path}/extra`,
          path.replace(/\/[^/]*$/, ''),
          path.replace('/', '//'),
          `${path}.data`,
        ]) {
          paths.add(variant)
        }
      }
    }
    for (const path of [
      '/docs/guide',
      '/docs/en/guide',
      '/docs/en/guide/intro',
      '/docs/guide/intro',
      '/Exact/Case',
      '/exact/case',
      '/robots.txt',
      '/robots.TXT',
      '/files',
      '/files/a/b/c',
      '/FILES/',
      '/w/acme/tickets/42/ai/draft',
      '/w/acme/tickets/new/',
      '/support/acme/billing',
      '/support/t/tok/files/9',
      '/api/v1/openapi.json',
      '/api/v1/openapi.JSON',
      '/api/anything/at/all',
    ]) {
      paths.add(path)
    }
    const withPrefilter = tree()
    const without = tree()
    const g = globalThis as { __switchboardRouterPrefilterOff?: boolean }
    const shape = (matches: ReturnType<typeof matchRoutes>) =>
      matches?.map((m) => ({
        id: m.route.id,
        params: m.params,
        pathname: m.pathname,
        base: m.pathnameBase,
      })) ?? null
    let matched = 0
    for (const path of paths) {
      const fast = shape(matchRoutes(withPrefilter, path))
      g.__switchboardRouterPrefilterOff = true
      try {
        expect(fast, path).toEqual(shape(matchRoutes(without, path)))
      } finally {
        delete g.__switchboardRouterPrefilterOff
      }
      if (fast && fast.at(-1)?.id !== 'splat') matched++
    }
    expect(paths.size).toBeGreaterThan(1500)
    expect(matched).toBeGreaterThan(500)
  })

  it('matches routes patched into a tree after it was matched once', () => {
    const router = createRouter({
      routes: [{ id: 'root', path: '/', children: [{ id: 'home', index: true }] }],
      history: createMemoryHistory(),
    })
    // The router hands out a new top-level array after a patch, but its own discovery loop goes
    // on matching the array it started with, whose routes gained children in place.
    const tree = router.routes
    expect(matchRoutes(tree, '/late')).toBeNull()
    router.patchRoutes('root', [{ id: 'late', path: 'late' }])
    expect(matchRoutes(tree, '/late')?.map((m) => m.route.id)).toEqual(['root', 'late'])
    expect(matchRoutes(router.routes, '/late')?.map((m) => m.route.id)).toEqual(['root', 'late'])
  })
})
