import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

/**
 * The interactive reference at /api/docs: swagger-ui-dist's prebuilt bundle and stylesheet,
 * served from our own origin (no CDN) and started by a small script file, so the page runs under
 * the app's CSP unchanged: scripts by nonce ('strict-dynamic', no inline code), styles from
 * 'self' (swagger-ui sets element styles through the DOM, which style-src does not govern).
 */
const ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
} as const

const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/api/v1/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: false,
  persistAuthorization: false,
})
`

const cache = new Map<string, Buffer>()

function distFile(name: string) {
  let file = cache.get(name)
  if (!file) {
    const require = createRequire(import.meta.url)
    const dir = path.dirname(require.resolve('swagger-ui-dist/package.json'))
    file = readFileSync(path.join(dir, name))
    cache.set(name, file)
  }
  return file
}

/** A file of the reference page, or undefined for anything not on the short list. */
export function referenceAsset(name: string | undefined): Response | undefined {
  const headers = { 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }
  if (name === 'init.js') {
    return new Response(INIT_SCRIPT, {
      headers: { ...headers, 'content-type': 'text/javascript; charset=utf-8' },
    })
  }
  if (!name || !Object.hasOwn(ASSETS, name)) return undefined
  const type = ASSETS[name as keyof typeof ASSETS]
  return new Response(new Uint8Array(distFile(name)), { headers: { ...headers, 'content-type': type } })
}

/** The page: no inline script or style; each script carries the request's CSP nonce. */
export function referencePage(nonce: string) {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard API reference</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script nonce="${nonce}" src="/api/docs/swagger-ui-bundle.js"></script>
<script nonce="${nonce}" src="/api/docs/init.js"></script>
</body>
</html>
`
  return new Response(html, {
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  })
}
