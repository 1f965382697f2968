import http from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A fake OpenAI-compatible server for tests: `POST /v1/chat/completions`, selected through
 * OPENAI_BASE_URL=<url>/v1.
 * - plain answers (`chat.completion` with usage) and `stream: true` (SSE `chat.completion.chunk`s,
 *   a final usage chunk when `stream_options.include_usage`, then `data: [DONE]`);
 * - `response_format` `json_schema` and `json_object`: the answer's content is whatever the
 *   responder returns (a test returns the JSON it wants, or something invalid);
 * - scripted failures (`failNext`): any status with an OpenAI error body (400, 401, 429 with
 *   Retry-After, 500…), `slow` (answers after a delay, when a promise the test holds resolves, or
 *   never until the client aborts: a delay is a guess at how long the test's steps take), a 400
 *   refusing `json_schema` like servers without structured outputs do, and invalid JSON; a status
 *   may carry Retry-After, retry-after-ms and an error `code`;
 * - `refuseJsonSchema` makes every json_schema request a 400 (a server without the feature);
 * - `refuseMaxCompletionTokens` does the same for `max_completion_tokens` (servers that only know
 *   `max_tokens`).
 * - answers without `usage` (`omitUsage`), as many compatible servers send, and plain answers sent
 *   in pieces without content-length (`bodyPieceBytes`: an answer that does not stop).
 * Every request is recorded with its body and headers, and whether the client aborted it.
 */

export type ChatMessage = { role: string; content: string }
export type ChatRequest = {
  model: string
  messages: ChatMessage[]
  stream?: boolean
  stream_options?: { include_usage?: boolean }
  response_format?: {
    type: 'json_schema' | 'json_object' | 'text'
    json_schema?: { name: string; schema: Record<string, unknown>; strict?: boolean }
  }
  [key: string]: unknown
}

export type RecordedChat = {
  at: number
  authorization: string | undefined
  body: ChatRequest
  status: number
  /** The client closed the connection before the answer ended (cancel, timeout). */
  aborted: boolean
}

/** What a responder returns: the assistant's text, split into these chunks when streaming. */
export type FakeAnswer = {
  content: string
  chunks?: string[]
  chunkDelayMs?: number
  /** The stream's finish_reason (default 'stop'); null ends the stream without one, as a cut-off stream does. */
  finishReason?: string | null
  /** Streaming: the connection is dropped (reset) after this many chunks, as a broken network does. */
  dropAfterChunks?: number
  /** No `usage` in the answer (nor a usage chunk), as Ollama, vLLM and llama.cpp servers may answer. */
  omitUsage?: boolean
  /** A plain answer is sent without content-length, in pieces of this many bytes (chunked). */
  bodyPieceBytes?: number
  /** The `usage` sent instead of the counted one (reasoning tokens, a server's own way of counting). */
  usage?: Record<string, unknown>
}

export type Scripted =
  | {
      kind: 'status'
      status: number
      retryAfter?: string
      /** OpenAI's retry-after-ms header. */
      retryAfterMs?: string
      message?: string
      param?: string
      /** The error's `code` (a 429's `insufficient_quota`, say). */
      code?: string
      /** Answered once this resolves (a slow refusal), or never if the client goes first. */
      after?: Promise<unknown>
    }
  | { kind: 'slow'; delayMs: number | 'forever' | Promise<unknown> }
  | { kind: 'refuse-json-schema' }
  | { kind: 'invalid-json' }
  | { kind: 'answer'; answer: FakeAnswer }

export class FakeOpenAI {
  readonly requests: RecordedChat[] = []
  /** Builds the answer for a request that no script claims. */
  respond: (request: ChatRequest) => FakeAnswer = (request) =>
    request.response_format?.type === 'json_schema' || request.response_format?.type === 'json_object'
      ? { content: JSON.stringify({ text: 'Fake structured answer' }) }
      : { content: 'Hello from the fake model. We are looking into it.' }
  refuseJsonSchema = false
  refuseMaxCompletionTokens = false
  private scripted: Scripted[] = []
  private server = http.createServer((req, res) => void this.handle(req, res))
  url = ''

  /** Listens on `port` (0: a free one; the e2e spec uses the port playwright.config.ts names). */
  async start(port = 0) {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  /** The value for OPENAI_BASE_URL. */
  get baseUrl() {
    return `${this.url}/v1`
  }

  async stop() {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** The next requests get these answers, in order, before `respond` takes over again. */
  failNext(...scripts: Scripted[]) {
    this.scripted.push(...scripts)
  }

  reset() {
    this.requests.length = 0
    this.scripted.length = 0
    this.refuseJsonSchema = false
    this.refuseMaxCompletionTokens = false
  }

  /** All the text the app sent in one request's messages (for "what was sent" assertions). */
  static promptText(request: RecordedChat) {
    return request.body.messages.map((m) => `[${m.role}] ${m.content}`).join('\n')
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      return sendError(res, 404, 'Not found', 'invalid_request_error')
    }
    let body: ChatRequest
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequest
    } catch {
      return sendError(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error')
    }
    const recorded: RecordedChat = {
      at: Date.now(),
      authorization: req.headers.authorization,
      body,
      status: 200,
      aborted: false,
    }
    this.requests.push(recorded)
    res.on('close', () => {
      if (!res.writableFinished) recorded.aborted = true
    })

    if (!Array.isArray(body.messages) || typeof body.model !== 'string') {
      recorded.status = 400
      return sendError(res, 400, "Missing required parameter: 'messages'.", 'invalid_request_error')
    }
    let script = this.scripted.shift()
    if (!script && this.refuseJsonSchema && body.response_format?.type === 'json_schema') {
      script = { kind: 'refuse-json-schema' }
    }
    if (!script && this.refuseMaxCompletionTokens && body.max_completion_tokens !== undefined) {
      script = {
        kind: 'status',
        status: 400,
        message: 'Unrecognized request argument supplied: max_completion_tokens',
        param: 'max_completion_tokens',
      }
    }
    if (script?.kind === 'status') {
      if (script.after && !(await waitOrClose(res, script.after))) return
      recorded.status = script.status
      const headers: Record<string, string> = {
        ...(script.retryAfter ? { 'retry-after': script.retryAfter } : {}),
        ...(script.retryAfterMs ? { 'retry-after-ms': script.retryAfterMs } : {}),
      }
      return sendError(
        res,
        script.status,
        script.message ?? defaultMessage(script.status),
        errorType(script.status),
        {
          headers,
          param: script.param,
          code: script.code,
        },
      )
    }
    if (script?.kind === 'refuse-json-schema') {
      recorded.status = 400
      return sendError(
        res,
        400,
        "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
        'invalid_request_error',
        { param: 'response_format' },
      )
    }
    if (script?.kind === 'slow') {
      const stillOpen = await waitOrClose(res, script.delayMs)
      if (!stillOpen) return
    }
    const answer: FakeAnswer =
      script?.kind === 'answer'
        ? script.answer
        : script?.kind === 'invalid-json'
          ? { content: '{"text": "cut off' }
          : this.respond(body)
    if (body.stream) return streamAnswer(res, body, answer)
    const completion = {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: answer.content }, finish_reason: 'stop' }],
      ...(answer.omitUsage ? {} : { usage: answer.usage ?? usage(body, answer.content) }),
    }
    if (answer.bodyPieceBytes) return sendInPieces(res, JSON.stringify(completion), answer.bodyPieceBytes)
    sendJson(res, 200, completion)
  }
}

/** Rough token counts (4 characters a token), enough for budgets to move. */
function usage(body: ChatRequest, content: string) {
  const promptChars = body.messages.reduce((sum, m) => sum + String(m.content).length, 0)
  const prompt_tokens = Math.ceil(promptChars / 4)
  const completion_tokens = Math.ceil(content.length / 4)
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens }
}

async function streamAnswer(res: http.ServerResponse, body: ChatRequest, answer: FakeAnswer) {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  })
  const base = {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: body.model,
  }
  const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`)
  send({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })
  const pieces = answer.chunks ?? answer.content.match(/\S+\s*|\s+/g) ?? []
  for (const [i, piece] of pieces.entries()) {
    if (i === answer.dropAfterChunks) {
      // Flushed first, so the client has the chunks before the reset.
      await new Promise((resolve) => setTimeout(resolve, 50))
      res.socket?.destroy()
      return
    }
    if (answer.chunkDelayMs) {
      const open = await waitOrClose(res, answer.chunkDelayMs)
      if (!open) return
    }
    if (res.destroyed) return
    send({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })
  }
  if (answer.finishReason !== null) {
    send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: answer.finishReason ?? 'stop' }] })
  }
  if (body.stream_options?.include_usage && !answer.omitUsage)
    send({ ...base, choices: [], usage: answer.usage ?? usage(body, answer.content) })
  res.write('data: [DONE]\n\n')
  res.end()
}

/** A JSON answer without content-length, written piece by piece as the client reads it. */
async function sendInPieces(res: http.ServerResponse, text: string, pieceBytes: number) {
  res.writeHead(200, { 'content-type': 'application/json' })
  const bytes = Buffer.from(text)
  for (let at = 0; at < bytes.length && !res.destroyed; at += pieceBytes) {
    if (!res.write(bytes.subarray(at, at + pieceBytes))) {
      const open = await new Promise<boolean>((resolve) => {
        const drained = () => finish(true)
        const closed = () => finish(false)
        res.once('drain', drained)
        res.once('close', closed)
        function finish(open: boolean) {
          res.off('drain', drained)
          res.off('close', closed)
          resolve(open)
        }
      })
      if (!open) return
    }
  }
  res.end()
}

/** Waits `ms` (or until the client goes away); false when the client closed the connection. */
function waitOrClose(res: http.ServerResponse, ms: number | 'forever' | Promise<unknown>) {
  return new Promise<boolean>((resolve) => {
    if (res.destroyed) return resolve(false)
    if (ms instanceof Promise) void ms.then(() => finish(true))
    const timer = typeof ms === 'number' ? setTimeout(() => finish(true), ms) : undefined
    const onClose = () => finish(false)
    res.once('close', onClose)
    function finish(open: boolean) {
      clearTimeout(timer)
      res.off('close', onClose)
      resolve(open)
    }
  })
}

function errorType(status: number) {
  if (status === 401) return 'invalid_request_error'
  if (status === 429) return 'requests'
  if (status >= 500) return 'server_error'
  return 'invalid_request_error'
}

function defaultMessage(status: number) {
  if (status === 401)
    return 'Incorrect API key provided: sk-***. You can find your API key at https://platform.openai.com/account/api-keys.'
  if (status === 429) return 'Rate limit reached for requests. Please try again later.'
  if (status >= 500) return 'The server had an error while processing your request. Sorry about that!'
  return 'Bad request.'
}

function sendError(
  res: http.ServerResponse,
  status: number,
  message: string,
  type: string,
  extra: { headers?: Record<string, string>; param?: string; code?: string } = {},
) {
  sendJson(
    res,
    status,
    { error: { message, type, param: extra.param ?? null, code: extra.code ?? null } },
    extra.headers,
  )
}

function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}
