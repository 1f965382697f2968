import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { logger } from '#app/logger.server.ts'
import type { InboundBody } from './inbound-body.server.ts'
import type { ParseAnswer, ParseRequest } from './inbound-parse.worker.ts'
import { InboundParseError, type InboundMessage } from './inbound-parse.server.ts'

/**
 * Parses stored inbound posts on a thread of their own. A 1 MB MIME message is 15-20 ms of
 * parsing on this machine (postal-mime, charset decoding, base64): on the main thread that work
 * delays every request the process serves meanwhile, among them the next Inbound Parse posts,
 * whose answer is meant to take a few ms. One thread, started on first use, posts queued in order;
 * it does not keep the process alive.
 *
 * Limits a hostile email cannot pass: PARSE_TIMEOUT_MS per post and the thread's heap
 * (PARSE_HEAP_MB); either ends the thread (a new one starts for the next post) and fails the post
 * as unparseable instead of stalling or exhausting the server.
 */
const PARSE_TIMEOUT_MS = 60_000
const PARSE_HEAP_MB = 512

type Parsed = { email: InboundMessage; prepared?: InboundBody }
type Pending = {
  resolve: (parsed: Parsed) => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

let thread: { worker: Worker; pending: Map<number, Pending> } | undefined
let nextId = 1

/** The worker's file: source (.ts, run with Node's type stripping) or the server bundle's .js. */
function workerFile() {
  const here = import.meta.url
  const candidates = here.endsWith('.ts')
    ? [new URL('./inbound-parse.worker.ts', here)]
    : // build/server.js's chunks sit in build/; the Remix build's in build/server/assets/.
      [new URL('./inbound-parse-worker.js', here), new URL('../../inbound-parse-worker.js', here)]
  const found = candidates.find((url) => fs.existsSync(fileURLToPath(url)))
  if (!found) throw new Error(`The inbound parse worker is missing (looked for ${candidates.join(', ')})`)
  return found
}

function start() {
  const worker = new Worker(workerFile(), { resourceLimits: { maxOldGenerationSizeMb: PARSE_HEAP_MB } })
  worker.unref()
  const pending = new Map<number, Pending>()
  const current = { worker, pending }
  const failAll = (error: Error) => {
    if (thread === current) thread = undefined
    for (const [id, p] of pending) {
      clearTimeout(p.timer)
      pending.delete(id)
      p.reject(error)
    }
  }
  worker.on('message', (answer: ParseAnswer) => {
    const p = pending.get(answer.id)
    if (!p) return
    pending.delete(answer.id)
    clearTimeout(p.timer)
    if (answer.ok) return p.resolve({ email: restoreBuffers(answer.email), prepared: answer.prepared })
    if (answer.parseError) return p.reject(new InboundParseError(answer.message))
    const error = new Error(answer.message)
    error.stack = answer.stack
    p.reject(error)
  })
  worker.on('error', (error: Error & { code?: string }) => {
    // Out of memory in the thread: the post is what exhausted it.
    failAll(
      error.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? new InboundParseError(`The email needs more than ${PARSE_HEAP_MB} MB to parse`)
        : error,
    )
  })
  worker.on('exit', (code) => failAll(new Error(`The inbound parse thread exited (code ${code})`)))
  thread = current
  return current
}

/**
 * parseInboundPost, on the parse thread, of the given bytes or of a stored file the thread reads
 * itself (a 1 MB post then never passes through the main thread's memory: each megabyte there
 * brings V8's next full collection closer, a pause for every request). Rejects with
 * InboundParseError when the post is unparseable.
 */
export async function parseInboundPostInThread(
  contentType: string,
  body: Buffer | { file: string },
): Promise<InboundMessage> {
  return (await inThread(contentType, body)).email
}

/**
 * The same parse, and then, on the thread too, the body as filing keeps it (prepareInboundBody):
 * attachments stored under `filesDir`, HTML sanitized, text picked. The email comes back without
 * its attachments' bytes, so neither they nor the HTML's parse reach the main thread.
 */
export async function parseAndPrepareInThread(
  contentType: string,
  body: Buffer | { file: string },
  filesDir: string,
): Promise<{ email: InboundMessage; prepared: InboundBody }> {
  const { email, prepared } = await inThread(contentType, body, filesDir)
  if (!prepared) throw new Error('The parse thread did not prepare the body')
  return { email, prepared }
}

function inThread(contentType: string, body: Buffer | { file: string }, filesDir?: string): Promise<Parsed> {
  const current = thread ?? start()
  const id = nextId++
  // Bytes: a copy whose memory moves to the thread (the stored bytes may share a pooled buffer).
  const payload = Buffer.isBuffer(body) ? new Uint8Array(body) : body
  return new Promise<Parsed>((resolve, reject) => {
    const timer = setTimeout(() => {
      logger().warn({ timeoutMs: PARSE_TIMEOUT_MS }, 'inbound parse timed out: restarting the parse thread')
      current.pending.delete(id)
      reject(new InboundParseError(`The email could not be parsed within ${PARSE_TIMEOUT_MS / 1000} s`))
      void current.worker.terminate()
    }, PARSE_TIMEOUT_MS)
    timer.unref()
    current.pending.set(id, { resolve, reject, timer })
    const message: ParseRequest = { id, contentType, body: payload, filesDir }
    current.worker.postMessage(message, payload instanceof Uint8Array ? [payload.buffer] : [])
  })
}

/** Structured clone turns Buffers into Uint8Arrays: the attachments' bytes become Buffers again. */
function restoreBuffers(email: InboundMessage): InboundMessage {
  for (const attachment of email.attachments) {
    const bytes = attachment.content as Uint8Array
    attachment.content = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  return email
}

/** For tests and shutdown: ends the thread (pending posts fail). */
export async function stopParseThread() {
  const current = thread
  thread = undefined
  if (current) await current.worker.terminate()
}
