// The inbound-email parser's thread (see inbound-parse-thread.server.ts): parses one stored post
// per message and answers with the result or the error. Plain Node (type stripping in source,
// bundled as build/inbound-parse-worker.js), so it imports nothing through `#app/*`.
import { readFile } from 'node:fs/promises'
import { parentPort } from 'node:worker_threads'
import { prepareInboundBody, type InboundBody } from './inbound-body.server.ts'
import { InboundParseError, parseInboundPost } from './inbound-parse.server.ts'

/**
 * The post's bytes, or the stored file to read them from (they then never enter the main thread).
 * With `filesDir`, the thread also stores the attachments there and prepares the body
 * (prepareInboundBody): the answer then carries no attachment bytes.
 */
export type ParseRequest = {
  id: number
  contentType: string
  body: Uint8Array | { file: string }
  filesDir?: string
}
export type ParseAnswer =
  | { id: number; ok: true; email: Awaited<ReturnType<typeof parseInboundPost>>; prepared?: InboundBody }
  | { id: number; ok: false; parseError: boolean; message: string; stack: string | undefined }

parentPort?.on('message', async ({ id, contentType, body, filesDir }: ParseRequest) => {
  let answer: ParseAnswer
  try {
    const bytes =
      'file' in body ? await readFile(body.file) : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
    const email = await parseInboundPost(contentType, bytes)
    if (filesDir === undefined) {
      answer = { id, ok: true, email }
    } else {
      const prepared = await prepareInboundBody(email, filesDir)
      answer = { id, ok: true, email: { ...email, attachments: [] }, prepared }
    }
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error))
    answer = { id, ok: false, parseError: e instanceof InboundParseError, message: e.message, stack: e.stack }
  }
  parentPort?.postMessage(answer)
})
