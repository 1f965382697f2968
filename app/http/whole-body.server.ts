/**
 * A page's body, complete, carried on the Response made for it (entry.server.tsx), so the
 * adapter (remix-adapter.server.ts) writes those bytes at once instead of reading the Response's
 * stream. A registered symbol: the entry is in Remix's server bundle, the adapter in server.ts's,
 * and a module-level WeakMap would be two maps.
 */
const WHOLE_BODY = Symbol.for('switchboard.wholeBody')

type Carrying = Response & { [WHOLE_BODY]?: Buffer }

/** A Response whose body is `body`, readable as a stream like any other, and known to be whole. */
export function wholeBodyResponse(body: Buffer, init: ResponseInit): Response {
  const response: Carrying = new Response(body as Uint8Array<ArrayBuffer>, init)
  response[WHOLE_BODY] = body
  return response
}

/** The complete body a Response was made with by wholeBodyResponse, if its stream is untouched. */
export function wholeBodyOf(response: Response): Buffer | undefined {
  const body = (response as Carrying)[WHOLE_BODY]
  return body && !response.bodyUsed && !response.body?.locked ? body : undefined
}
