import { problem } from '#app/api/problem.server.ts'

// Any other path under /api: a problem+json 404 rather than the app's HTML error page.
function notFound() {
  return problem('not-found', 'No such API endpoint. The reference is at /api/docs.')
}
export const loader = notFound
export const action = notFound
