import { openApiDocument } from '#app/api/openapi.server.ts'

/** The OpenAPI 3.1 document, generated from the operations' Zod schemas. Public: it holds no data. */
export function loader() {
  return new Response(JSON.stringify(openApiDocument()), {
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300' },
  })
}
