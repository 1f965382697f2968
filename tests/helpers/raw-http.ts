import http from 'node:http'

export type RawResponse = { status: number; headers: http.IncomingHttpHeaders; body: string }

/**
 * One HTTP request sent exactly as written: the path is not normalised (fetch would resolve
 * `..` and `%2e%2e` before sending) and Host, Origin and Sec-Fetch-Site can be anything.
 */
export function rawRequest(
  base: string,
  options: {
    method?: string
    path: string
    /** An array sends the header once per value. */
    headers?: Record<string, string | string[]>
    /** Bytes as given (a Buffer), or a string sent as UTF-8. */
    body?: string | Buffer
  },
): Promise<RawResponse> {
  const { hostname, port } = new URL(base)
  const body = options.body ?? ''
  const method = options.method ?? 'GET'
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: hostname,
      port,
      method,
      path: options.path,
      headers: {
        ...(method === 'GET' || method === 'HEAD'
          ? {}
          : { 'content-length': String(Buffer.byteLength(body)) }),
        ...options.headers,
      },
    })
    request.on('response', (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      )
      response.on('error', reject)
    })
    request.on('error', reject)
    request.end(body)
  })
}

/** A url-encoded form body. */
export const formBody = (form: Record<string, string>) => new URLSearchParams(form).toString()

/**
 * A WebSocket upgrade request for the Socket.IO endpoint, sent as written (any Host, Origin,
 * Cookie). Resolves with 101 if the server upgraded (the connection is then closed), else the
 * status and body it answered instead.
 */
export function socketUpgrade(base: string, headers: Record<string, string>) {
  const { hostname, port } = new URL(base)
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request({
      host: hostname,
      port,
      path: '/socket.io/?EIO=4&transport=websocket',
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    })
    request.on('upgrade', (_response, socket) => {
      socket.destroy()
      resolve({ status: 101, body: '' })
    })
    request.on('response', (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      )
      response.on('error', reject)
    })
    request.on('error', reject)
    request.end()
  })
}

/**
 * A POST whose headers announce `announced` bytes and whose body then stops after `send` of them
 * (spaces): its answer when one comes (status and Retry-After), when the bytes were sent, and
 * a way to drop it.
 */
export function heldPost(
  base: string,
  path: string,
  headers: Record<string, string>,
  announced: number,
  send = 0,
) {
  const { hostname, port } = new URL(base)
  const request = http.request({
    host: hostname,
    port,
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', 'content-length': String(announced), ...headers },
  })
  request.on('error', () => {})
  const answer = new Promise<{ status: number; retryAfter?: string }>((resolve) =>
    request.on('response', (response) => {
      response.resume()
      resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] })
    }),
  )
  request.flushHeaders()
  const sent =
    send > 0
      ? new Promise<void>((resolve) => request.write(Buffer.alloc(send, 0x20), () => resolve()))
      : Promise.resolve()
  return { answer, sent, close: () => request.destroy() }
}
