import http from 'node:http'

export type AnnouncedAnswer = { status: number; type: string; body: string }

/**
 * A post announcing `announced` bytes of which only `sent` goes out: the answer must come without
 * the rest, so the server judged it on its length and read none of it.
 */
export function announcedPost(
  url: string,
  { announced, sent, headers }: { announced: number; sent: string; headers: Record<string, string> },
) {
  return new Promise<AnnouncedAnswer>((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      headers: { 'content-length': String(announced), ...headers },
    })
    request.on('error', reject)
    request.on('response', (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'] ?? '', body })
        request.destroy()
      })
    })
    request.write(sent)
  })
}
