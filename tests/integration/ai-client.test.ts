import { eq } from 'drizzle-orm'
import { beforeEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { getDb } from '#db/client.ts'
import { aiBudgetHolds, aiRuns } from '#db/schema.ts'
import {
  AI_MAX_OUTPUT_TOKENS,
  AI_STORED_ANSWER_CHARS,
  aiAvailability,
  MAX_STREAMED_CHARS,
  MAX_STRUCTURED_ANSWER_BYTES,
  runStream,
  runStructured,
  type AiContext,
  type AiStreamError,
} from '#app/ai/client.server.ts'
import { saveAiSettings } from '#app/ai/settings.server.ts'
import { AI_FEATURES_ON_BY_DEFAULT, AI_MESSAGES } from '#app/ai/features.ts'
import { createMember, createWorkspace } from '#tests/helpers/factories.ts'
import { FakeOpenAI, type FakeAnswer } from '#tests/fakes/openai.ts'
import { setProvider, tuneAi, withFakeOpenAI } from '#tests/helpers/ai.ts'
import { until } from '#tests/helpers/wait.ts'

const fake = withFakeOpenAI()
const Rewrite = z.object({ text: z.string().min(1) })

beforeEach(() => {
  setProvider({
    OPENAI_BASE_URL: fake.baseUrl,
    OPENAI_API_KEY: 'sk-test-secret-key',
    OPENAI_MODEL: 'fake-mini',
  })
})

async function context(mode: AiContext['mode'] = 'interactive'): Promise<AiContext & { slug: string }> {
  const workspace = await createWorkspace()
  const owner = await createMember('owner', workspace)
  return { workspaceId: workspace.id, userId: owner.user.id, mode, slug: workspace.slug }
}

/** A context whose workspace has these settings (the defaults otherwise). */
async function contextWith(settings: { monthlyTokenBudget?: number; debugLogging?: boolean }) {
  const ctx = await context()
  await saveAiSettings(
    { workspaceId: ctx.workspaceId, userId: ctx.userId! },
    {
      features: AI_FEATURES_ON_BY_DEFAULT,
      model: undefined,
      monthlyTokenBudget: settings.monthlyTokenBudget,
      debugLogging: settings.debugLogging ?? false,
    },
  )
  return ctx
}

/** A context whose workspace keeps prompts and answers (debug logging on). */
const debugContext = () => contextWith({ debugLogging: true })

function runsOf(workspaceId: string) {
  return getDb().select().from(aiRuns).where(eq(aiRuns.workspaceId, workspaceId))
}

const ask = [
  { role: 'system' as const, content: 'You rewrite text.' },
  { role: 'user' as const, content: 'make this nicer' },
]

describe('runStructured', () => {
  it('sends the model, the messages and a strict json_schema, and records the run without the key', async () => {
    const ctx = await context()
    fake.respond = () => ({ content: JSON.stringify({ text: 'Nicer.' }) })
    const result = await runStructured('rewrite', ctx, Rewrite, ask, { name: 'rewrite' })
    expect(result).toEqual({ ok: true, value: { text: 'Nicer.' } })
    const [sent] = fake.requests
    expect(sent!.body.model).toBe('fake-mini')
    expect(sent!.body.messages).toEqual(ask)
    expect(sent!.body.response_format?.type).toBe('json_schema')
    expect(sent!.body.response_format?.json_schema?.strict).toBe(true)
    expect(sent!.body.response_format?.json_schema?.schema).toMatchObject({
      type: 'object',
      required: ['text'],
      additionalProperties: false,
    })
    expect(sent!.authorization).toBe('Bearer sk-test-secret-key')
    const [run] = await runsOf(ctx.workspaceId)
    expect(run).toMatchObject({ feature: 'rewrite', model: 'fake-mini', outcome: 'ok', errorClass: null })
    expect(run!.tokensIn).toBeGreaterThan(0)
    expect(run!.tokensOut).toBeGreaterThan(0)
    expect(run!.prompt).toBeNull()
    expect(run!.answer).toBeNull()
    expect(JSON.stringify(run)).not.toContain('sk-test-secret-key')
  })

  it('falls back to json_object with the same validation when the server refuses json_schema', async () => {
    const ctx = await context()
    setProvider({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_MODEL: 'no-structured-outputs' })
    fake.refuseJsonSchema = true
    fake.respond = () => ({ content: '```json\n{"text":"Fenced but fine"}\n```' })
    const result = await runStructured('rewrite', ctx, Rewrite, ask)
    expect(result).toEqual({ ok: true, value: { text: 'Fenced but fine' } })
    expect(fake.requests.map((r) => r.body.response_format?.type)).toEqual(['json_schema', 'json_object'])
    expect(FakeOpenAI.promptText(fake.requests[1]!)).toContain('JSON Schema')
    // Remembered: the next call goes straight to json_object.
    await runStructured('rewrite', ctx, Rewrite, ask)
    expect(fake.requests.at(-1)!.body.response_format?.type).toBe('json_object')
    // No key and a base URL: a self-hosted server; the SDK still sends a placeholder bearer.
    expect(fake.requests[0]!.authorization).toBe('Bearer not-needed')
  })

  it('asks once more for an invalid answer, then drops it and records invalid', async () => {
    const ctx = await context()
    fake.failNext({ kind: 'invalid-json' }, { kind: 'answer', answer: { content: '{"text": ""}' } })
    const result = await runStructured('rewrite', ctx, Rewrite, ask)
    expect(result).toMatchObject({ ok: false, reason: 'invalid', message: AI_MESSAGES.noSuggestion })
    expect(fake.requests).toHaveLength(2)
    const [run] = await runsOf(ctx.workspaceId)
    expect(run).toMatchObject({ outcome: 'invalid', errorClass: 'schema_mismatch' })

    fake.failNext({ kind: 'invalid-json' })
    fake.respond = () => ({ content: '{"text":"second time lucky"}' })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toEqual({
      ok: true,
      value: { text: 'second time lucky' },
    })
  })

  it('retries 500s and network errors with backoff, and honours Retry-After on 429', async () => {
    const ctx = await context()
    fake.respond = () => ({ content: '{"text":"ok"}' })
    fake.failNext({ kind: 'status', status: 500 }, { kind: 'status', status: 503 })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ ok: true })
    expect(fake.requests.map((r) => r.status)).toEqual([500, 503, 200])

    fake.reset()
    fake.respond = () => ({ content: '{"text":"ok"}' })
    fake.failNext({ kind: 'status', status: 429, retryAfter: '1' })
    const started = Date.now()
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ ok: true })
    const [first, second] = fake.requests
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950)
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('gives up after three attempts and records the error class, never the message', async () => {
    const ctx = await context()
    fake.failNext(
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
    )
    const result = await runStructured('rewrite', ctx, Rewrite, ask)
    expect(result).toMatchObject({ ok: false, reason: 'failed', message: AI_MESSAGES.noSuggestion })
    expect(fake.requests).toHaveLength(3)
    const [run] = await runsOf(ctx.workspaceId)
    expect(run).toMatchObject({ outcome: 'failed', errorClass: 'InternalServerError' })
  })

  it('does not retry a 401 or a plain 400', async () => {
    const ctx = await context()
    fake.failNext({ kind: 'status', status: 401 })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ ok: false, reason: 'failed' })
    fake.failNext({ kind: 'status', status: 400, message: 'messages too long' })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ ok: false, reason: 'failed' })
    expect(fake.requests).toHaveLength(2)
    const runs = await runsOf(ctx.workspaceId)
    expect(runs.map((r) => r.errorClass).sort()).toEqual(['AuthenticationError', 'BadRequestError'])
  })

  it('times out a slow server at the deadline and records timeout', async () => {
    const ctx = await context()
    tuneAi({ backoffBaseMs: 5, timeoutMs: 300 })
    try {
      fake.failNext({ kind: 'slow', delayMs: 'forever' })
      const started = Date.now()
      const result = await runStructured('rewrite', ctx, Rewrite, ask)
      expect(result).toMatchObject({ ok: false, reason: 'timeout', message: AI_MESSAGES.noSuggestion })
      expect(Date.now() - started).toBeLessThan(2_000)
      const [run] = await runsOf(ctx.workspaceId)
      expect(run!.outcome).toBe('timeout')
      await expect.poll(() => fake.requests[0]!.aborted).toBe(true)
    } finally {
      tuneAi({ backoffBaseMs: 5 })
    }
  })

  it('keeps the prompt and answer only while debug logging is on', async () => {
    const ctx = await debugContext()
    fake.respond = () => ({ content: '{"text":"debug me"}' })
    await runStructured('rewrite', ctx, Rewrite, ask)
    const [run] = await runsOf(ctx.workspaceId)
    expect(run!.prompt).toEqual(ask)
    expect(run!.answer).toBe('{"text":"debug me"}')
  })
})

describe('a busy provider (429, 503)', () => {
  const holdsOf = (workspaceId: string) =>
    getDb().select().from(aiBudgetHolds).where(eq(aiBudgetHolds.workspaceId, workspaceId))

  it('a 429 whose Retry-After does not fit the deadline is not waited for: the agent is told when to try again', async () => {
    const ctx = await contextWith({ monthlyTokenBudget: 100_000 })
    fake.failNext({ kind: 'status', status: 429, retryAfter: '30' })
    const started = Date.now()
    const result = await runStructured('rewrite', ctx, Rewrite, ask)
    expect(result).toEqual({
      ok: false,
      reason: 'provider-busy',
      message: 'The AI provider is busy: try again in 30 seconds.',
      retryAfterSeconds: 30,
    })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(fake.requests).toHaveLength(1)
    // Nothing was billed, nothing is counted, and the hold is given back.
    const [run] = await runsOf(ctx.workspaceId)
    expect(run).toMatchObject({ outcome: 'failed', errorClass: 'RateLimitError', tokensIn: 0, tokensOut: 0 })
    expect(await holdsOf(ctx.workspaceId)).toHaveLength(0)
  })

  it('a 429 is waited for once at most, and one without Retry-After not at all', async () => {
    const ctx = await context()
    fake.failNext(
      { kind: 'status', status: 429, retryAfter: '1' },
      { kind: 'status', status: 429, retryAfter: '2' },
    )
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({
      reason: 'provider-busy',
      message: 'The AI provider is busy: try again in 2 seconds.',
      retryAfterSeconds: 2,
    })
    expect(fake.requests.map((r) => r.status)).toEqual([429, 429])
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(950)

    fake.reset()
    fake.failNext({ kind: 'status', status: 429 })
    const result = await runStructured('rewrite', ctx, Rewrite, ask)
    expect(result).toEqual({ ok: false, reason: 'provider-busy', message: AI_MESSAGES.providerBusy })
    expect(fake.requests).toHaveLength(1)

    // retry-after-ms (OpenAI's) counts as Retry-After.
    fake.reset()
    fake.respond = () => ({ content: '{"text":"ok"}' })
    fake.failNext({ kind: 'status', status: 429, retryAfterMs: '300' })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ ok: true })
    expect(fake.requests.map((r) => r.status)).toEqual([429, 200])
  })

  it('a 429 for a spent quota is no wait: not retried, not called busy', async () => {
    const ctx = await context()
    fake.failNext({
      kind: 'status',
      status: 429,
      retryAfter: '1',
      code: 'insufficient_quota',
      message: 'You exceeded your current quota, please check your plan and billing details.',
    })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({
      reason: 'failed',
      message: AI_MESSAGES.noSuggestion,
    })
    expect(fake.requests).toHaveLength(1)
  })

  it('a 503 is busy too: its Retry-After waited for once, without one backed off, then the agent is told', async () => {
    const ctx = await context()
    fake.failNext(
      { kind: 'status', status: 503, retryAfter: '1' },
      { kind: 'status', status: 503, retryAfter: '45' },
    )
    expect(await runStructured('summarize', ctx, Rewrite, ask)).toMatchObject({
      reason: 'provider-busy',
      message: 'The AI provider is busy: try again in 45 seconds.',
      retryAfterSeconds: 45,
    })
    expect(fake.requests).toHaveLength(2)
    const [run] = await runsOf(ctx.workspaceId)
    expect(run).toMatchObject({ outcome: 'failed', errorClass: 'ServiceUnavailableError' })

    fake.reset()
    fake.failNext(
      { kind: 'status', status: 503 },
      { kind: 'status', status: 503 },
      { kind: 'status', status: 503 },
    )
    expect(await runStructured('summarize', { ...ctx, mode: 'job', userId: null }, Rewrite, ask)).toEqual({
      ok: false,
      reason: 'provider-busy',
      message: AI_MESSAGES.providerBusy,
    })
    expect(fake.requests).toHaveLength(3)
  })

  it('a streamed draft refused with 429 says so with its Retry-After, and bills nothing', async () => {
    const ctx = await contextWith({ monthlyTokenBudget: 100_000 })
    fake.failNext({ kind: 'status', status: 429, retryAfter: '20' })
    expect(await runStream('draft', ctx, ask)).toEqual({
      ok: false,
      reason: 'provider-busy',
      message: 'The AI provider is busy: try again in 20 seconds.',
      retryAfterSeconds: 20,
    })
    expect(fake.requests).toHaveLength(1)
    const [run] = await runsOf(ctx.workspaceId)
    expect(run).toMatchObject({ outcome: 'failed', tokensIn: 0, tokensOut: 0, tokensEstimated: false })
    expect(await holdsOf(ctx.workspaceId)).toHaveLength(0)

    // Waited for within the deadline once, then streamed.
    fake.failNext({ kind: 'status', status: 429, retryAfter: '1' })
    const result = await runStream('draft', ctx, ask)
    if (!result.ok) throw new Error('expected a stream')
    for await (const _ of result.deltas) void _
    expect(fake.requests.slice(1).map((r) => r.status)).toEqual([429, 200])
  })
})

describe('what a model answers that PostgreSQL would refuse', () => {
  it('a structured answer loses NUL characters and its lone surrogates become U+FFFD', async () => {
    const ctx = await debugContext()
    fake.respond = () => ({ content: '{"text":"Nul\\u0000 here, \\ud83d alone, \\ud83d\\ude00 paired"}' })
    const result = await runStructured('rewrite', ctx, Rewrite, ask)
    expect(result).toEqual({ ok: true, value: { text: 'Nul here, \ufffd alone, 😀 paired' } })
    const [run] = await runsOf(ctx.workspaceId)
    expect(run).toMatchObject({ outcome: 'ok' })
    expect(run!.answer).not.toContain('\u0000')
  })

  it('a stream loses NUL as it goes, and a surrogate pair split across two deltas stays one character', async () => {
    const ctx = await debugContext()
    fake.respond = () => ({ content: 'Hi 😀 there', chunks: ['Hi\u0000 ', '\ud83d', '\ude00 there'] })
    const result = await runStream('draft', ctx, ask)
    if (!result.ok) throw new Error('no stream')
    const pieces: string[] = []
    for await (const delta of result.deltas) pieces.push(delta)
    expect(pieces.join('')).toBe('Hi 😀 there')
    const [run] = await runsOf(ctx.workspaceId)
    expect(run).toMatchObject({ outcome: 'ok', answer: 'Hi 😀 there' })
  })
})

describe('a stream that is not a whole suggestion', () => {
  async function streamed(answer: FakeAnswer) {
    const ctx = await context()
    fake.respond = () => answer
    const result = await runStream('draft', ctx, ask)
    if (!result.ok) throw new Error('no stream')
    const pieces: string[] = []
    let error: AiStreamError | undefined
    try {
      for await (const delta of result.deltas) pieces.push(delta)
    } catch (thrown) {
      error = thrown as AiStreamError
    }
    const [run] = await runsOf(ctx.workspaceId)
    return { text: pieces.join(''), error, run: run! }
  }

  it('no text at all is no suggestion, recorded invalid', async () => {
    const { text, error, run } = await streamed({ content: '', chunks: [] })
    expect(text).toBe('')
    expect(error?.message).toBe(AI_MESSAGES.noSuggestion)
    expect(run).toMatchObject({ outcome: 'invalid', errorClass: 'EmptyAnswer' })
  })

  it('a stream that ends without a finish reason is cut off, recorded failed', async () => {
    const { text, error, run } = await streamed({
      content: 'Partial answer that stops mid',
      finishReason: null,
    })
    expect(text).toBe('Partial answer that stops mid')
    expect(error?.message).toBe(AI_MESSAGES.cutOff)
    expect(run).toMatchObject({ outcome: 'failed', errorClass: 'IncompleteStream' })
  })

  it('a stream broken off after some text (a reset connection) says it was cut off, not "no suggestion"', async () => {
    const { text, error, run } = await streamed({
      content: 'Dear Carol, we are very sorry about the trouble',
      chunks: ['Dear Carol, ', 'we are very sorry ', 'about the trouble'],
      dropAfterChunks: 2,
    })
    expect(text).toBe('Dear Carol, we are very sorry ')
    expect(error?.message).toBe(AI_MESSAGES.cutOff)
    expect(run).toMatchObject({ outcome: 'failed' })
  })

  it('one the model stopped at its length limit is kept, and the agent is told it may be cut off', async () => {
    const { text, error, run } = await streamed({ content: 'A long draft that', finishReason: 'length' })
    expect(text).toBe('A long draft that')
    expect(error?.message).toBe(AI_MESSAGES.lengthLimit)
    expect(run).toMatchObject({ outcome: 'ok', errorClass: 'LengthLimit' })
  })

  it(`stops reading after ${MAX_STREAMED_CHARS.toLocaleString('en-US')} characters and ends the upstream call`, async () => {
    const chunk = 'x'.repeat(10_000)
    const { text, error, run } = await streamed({ content: chunk.repeat(50), chunks: Array(50).fill(chunk) })
    expect(text.length).toBeLessThanOrEqual(MAX_STREAMED_CHARS)
    expect(error?.message).toBe(AI_MESSAGES.tooLong)
    expect(run).toMatchObject({ outcome: 'failed', errorClass: 'TooLong' })
  })
})

describe('the gate', () => {
  it('refuses without calling anyone when AI is not configured', async () => {
    const ctx = await context()
    setProvider({ OPENAI_BASE_URL: undefined, OPENAI_API_KEY: undefined })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({
      ok: false,
      reason: 'not-configured',
      message: 'AI is not configured — see Settings → AI',
    })
    expect(await aiAvailability(ctx.workspaceId, 'draft')).toBe('not-configured')
    expect(fake.requests).toHaveLength(0)
    expect(await runsOf(ctx.workspaceId)).toHaveLength(0)
  })

  it('stops calls once the monthly token budget is spent', async () => {
    const ctx = await context()
    await saveAiSettings(
      { workspaceId: ctx.workspaceId, userId: ctx.userId! },
      {
        features: AI_FEATURES_ON_BY_DEFAULT,
        model: 'budget-model',
        monthlyTokenBudget: 20,
        debugLogging: false,
      },
    )
    fake.respond = () => ({ content: JSON.stringify({ text: 'x'.repeat(200) }) })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ ok: true })
    expect(fake.requests[0]!.body.model).toBe('budget-model')
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({
      ok: false,
      reason: 'budget',
      message: 'AI budget used up for this month',
    })
    expect(await aiAvailability(ctx.workspaceId, 'draft')).toBe('budget')
    expect(fake.requests).toHaveLength(1)
  })

  it('refuses a feature the workspace turned off', async () => {
    const ctx = await context()
    await saveAiSettings(
      { workspaceId: ctx.workspaceId, userId: ctx.userId! },
      {
        features: { ...AI_FEATURES_ON_BY_DEFAULT, rewrite: false },
        model: undefined,
        monthlyTokenBudget: undefined,
        debugLogging: false,
      },
    )
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ ok: false, reason: 'disabled' })
    expect(fake.requests).toHaveLength(0)
  })

  it('allows 30 interactive calls per user per minute, jobs are not counted', async () => {
    const ctx = await context()
    fake.respond = () => ({ content: '{"text":"ok"}' })
    // Sliding window estimated from two fixed windows: at a minute boundary one or two more may pass.
    let allowed = 0
    let refused: Awaited<ReturnType<typeof runStructured>> | undefined
    for (let i = 0; i < 40 && !refused; i++) {
      const result = await runStructured('rewrite', ctx, Rewrite, ask)
      if (result.ok) allowed++
      else refused = result
    }
    expect(allowed).toBeGreaterThanOrEqual(30)
    expect(allowed).toBeLessThanOrEqual(33)
    expect(refused).toMatchObject({ ok: false, reason: 'rate-limited' })
    expect(refused?.ok === false && refused.retryAfterSeconds).toBeGreaterThan(0)
    expect((await runStructured('rewrite', { ...ctx, mode: 'job', userId: null }, Rewrite, ask)).ok).toBe(
      true,
    )
    expect(fake.requests).toHaveLength(allowed + 1)
  })
})

describe('output limits', () => {
  it('every call bounds what it may bill with max_completion_tokens, per feature', async () => {
    const ctx = await context()
    fake.respond = (request) =>
      request.response_format ? { content: JSON.stringify({ text: 'Nicer.' }) } : { content: 'A draft.' }
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ ok: true })
    expect(await runStructured('summarize', ctx, Rewrite, ask)).toMatchObject({ ok: true })
    const stream = await runStream('draft', ctx, ask)
    if (!stream.ok) throw new Error('expected a stream')
    for await (const _ of stream.deltas) void _
    expect(fake.requests.map((r) => [r.body.max_completion_tokens, r.body.max_tokens])).toEqual([
      [AI_MAX_OUTPUT_TOKENS.rewrite, undefined],
      [AI_MAX_OUTPUT_TOKENS.summarize, undefined],
      [AI_MAX_OUTPUT_TOKENS.draft, undefined],
    ])
    expect(AI_MAX_OUTPUT_TOKENS.triage).toBeLessThan(AI_MAX_OUTPUT_TOKENS.draft)
  })

  it('a server that refuses max_completion_tokens gets max_tokens, at once and from then on', async () => {
    const ctx = await context()
    setProvider({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_MODEL: 'only-max-tokens' })
    fake.refuseMaxCompletionTokens = true
    fake.respond = (request) =>
      request.response_format ? { content: JSON.stringify({ text: 'Nicer.' }) } : { content: 'A draft.' }
    expect(await runStream('draft', ctx, ask)).toMatchObject({ ok: true })
    const stream = await runStream('draft', ctx, ask)
    if (!stream.ok) throw new Error('expected a stream')
    let text = ''
    for await (const delta of stream.deltas) text += delta
    expect(text).toBe('A draft.')
    expect(await runStructured('summarize', ctx, Rewrite, ask)).toEqual({
      ok: true,
      value: { text: 'Nicer.' },
    })
    expect(fake.requests.map((r) => [r.status, r.body.max_completion_tokens, r.body.max_tokens])).toEqual([
      [400, AI_MAX_OUTPUT_TOKENS.draft, undefined],
      [200, undefined, AI_MAX_OUTPUT_TOKENS.draft],
      [200, undefined, AI_MAX_OUTPUT_TOKENS.draft],
      [200, undefined, AI_MAX_OUTPUT_TOKENS.summarize],
    ])
  })

  it('another 400 that names no output limit is not retried', async () => {
    const ctx = await context()
    setProvider({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_MODEL: 'plain-400' })
    fake.failNext({ kind: 'status', status: 400, message: 'messages too long' })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ ok: false, reason: 'failed' })
    expect(fake.requests).toHaveLength(1)
  })
})

describe('runStream', () => {
  it('streams deltas and records the usage of the final chunk', async () => {
    const ctx = await context()
    fake.respond = () => ({ content: 'Hi there, thanks for waiting.' })
    const result = await runStream('draft', ctx, ask)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const pieces: string[] = []
    for await (const delta of result.deltas) pieces.push(delta)
    expect(pieces.length).toBeGreaterThan(2)
    expect(pieces.join('')).toBe('Hi there, thanks for waiting.')
    expect(fake.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } })
    const [run] = await runsOf(ctx.workspaceId)
    expect(run).toMatchObject({ feature: 'draft', outcome: 'ok' })
    expect(run!.tokensOut).toBeGreaterThan(0)
  })

  it('aborts the upstream request when the reader stops, and records cancelled', async () => {
    const ctx = await context()
    fake.respond = () => ({ content: 'one two three four five six', chunkDelayMs: 50 })
    const result = await runStream('draft', ctx, ask)
    if (!result.ok) throw new Error('expected a stream')
    for await (const delta of result.deltas) {
      expect(delta).toBeTruthy()
      break
    }
    await expect.poll(() => fake.requests[0]!.aborted).toBe(true)
    await expect.poll(async () => (await runsOf(ctx.workspaceId))[0]?.outcome).toBe('cancelled')
  })

  it('retries before the stream opens and answers No suggestion right now when it never does', async () => {
    const ctx = await context()
    fake.failNext({ kind: 'status', status: 502 })
    const ok = await runStream('draft', ctx, ask)
    expect(ok.ok).toBe(true)
    if (ok.ok) for await (const _ of ok.deltas) void _
    fake.failNext({ kind: 'status', status: 401 })
    expect(await runStream('draft', ctx, ask)).toMatchObject({
      ok: false,
      reason: 'failed',
      message: 'No suggestion right now',
    })
  })
})

describe('tokens a server does not report', () => {
  async function usageOf(workspaceId: string) {
    const runs = await runsOf(workspaceId)
    return runs.map((r) => ({ outcome: r.outcome, tokensIn: r.tokensIn, tokensOut: r.tokensOut }))
  }
  const promptChars = ask.reduce((sum, m) => sum + m.content.length, 0)

  it('a structured answer without usage counts the prompt sent and the answer, about 4 characters a token', async () => {
    const ctx = await context()
    const content = JSON.stringify({ text: 'y'.repeat(400) })
    fake.respond = () => ({ content, omitUsage: true })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ ok: true })
    const [run] = await usageOf(ctx.workspaceId)
    expect(run!.tokensOut).toBe(Math.ceil(content.length / 4))
    // The messages and the JSON Schema the request carried.
    expect(run!.tokensIn).toBeGreaterThan(Math.ceil(promptChars / 4))
  })

  it('a stream without a usage chunk counts the prompt and the text received', async () => {
    const ctx = await context()
    const content = 'Hello there, thanks for your patience while we look into it.'
    fake.respond = () => ({ content, omitUsage: true })
    const result = await runStream('draft', ctx, ask)
    if (!result.ok) throw new Error('expected a stream')
    for await (const _ of result.deltas) void _
    expect(await usageOf(ctx.workspaceId)).toEqual([
      { outcome: 'ok', tokensIn: Math.ceil(promptChars / 4), tokensOut: Math.ceil(content.length / 4) },
    ])
  })

  it('a cancelled, a cut-off and a timed-out draft count what was sent and what arrived', async () => {
    const ctx = await context()
    fake.respond = () => ({ content: 'one two three four five six', chunkDelayMs: 50 })
    const cancelled = await runStream('draft', ctx, ask)
    if (!cancelled.ok) throw new Error('expected a stream')
    let first = ''
    for await (const delta of cancelled.deltas) {
      first = delta
      break
    }
    await expect
      .poll(async () => (await usageOf(ctx.workspaceId))[0])
      .toEqual({
        outcome: 'cancelled',
        tokensIn: Math.ceil(promptChars / 4),
        tokensOut: Math.ceil(first.length / 4),
      })

    const cutCtx = await context()
    fake.respond = () => ({
      content: 'Dear Carol, we are very sorry about the trouble',
      chunks: ['Dear Carol, ', 'we are very sorry ', 'about the trouble'],
      dropAfterChunks: 2,
    })
    const cut = await runStream('draft', cutCtx, ask)
    if (!cut.ok) throw new Error('expected a stream')
    await expect(async () => {
      for await (const _ of cut.deltas) void _
    }).rejects.toThrow(AI_MESSAGES.cutOff)
    expect(await usageOf(cutCtx.workspaceId)).toEqual([
      {
        outcome: 'failed',
        tokensIn: Math.ceil(promptChars / 4),
        tokensOut: Math.ceil('Dear Carol, we are very sorry '.length / 4),
      },
    ])

    const slowCtx = await context()
    tuneAi({ backoffBaseMs: 5, timeoutMs: 300 })
    try {
      fake.failNext({ kind: 'slow', delayMs: 'forever' })
      expect(await runStructured('rewrite', slowCtx, Rewrite, ask)).toMatchObject({ reason: 'timeout' })
      const [timedOut] = await usageOf(slowCtx.workspaceId)
      expect(timedOut).toMatchObject({ outcome: 'timeout', tokensOut: 0 })
      expect(timedOut!.tokensIn).toBeGreaterThan(Math.ceil(promptChars / 4))
    } finally {
      tuneAi({ backoffBaseMs: 5 })
    }
  })

  it('a refusal by status bills nothing and counts nothing', async () => {
    const ctx = await context()
    fake.failNext({ kind: 'status', status: 401 })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ reason: 'failed' })
    expect(await usageOf(ctx.workspaceId)).toEqual([{ outcome: 'failed', tokensIn: 0, tokensOut: 0 }])
  })

  it('the monthly budget binds with a server that never reports usage', async () => {
    const ctx = await contextWith({ monthlyTokenBudget: 100 })
    fake.respond = () => ({ content: JSON.stringify({ text: 'z'.repeat(400) }), omitUsage: true })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ ok: true })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ ok: false, reason: 'budget' })
    expect(fake.requests).toHaveLength(1)
  })
})

describe('a structured call asked again, and reasoning tokens', () => {
  const holdsOf = (workspaceId: string) =>
    getDb().select().from(aiBudgetHolds).where(eq(aiBudgetHolds.workspaceId, workspaceId))

  it('asks again after an invalid answer only when the budget holds the second request too', async () => {
    // Room for the first request (the gate needs some budget left), not for a second one of the
    // rewrite's 16,000 output tokens: it is not asked for, so the call cannot overshoot twice.
    const tight = await contextWith({ monthlyTokenBudget: 10_000 })
    fake.failNext({ kind: 'invalid-json' })
    expect(await runStructured('rewrite', tight, Rewrite, ask)).toMatchObject({ reason: 'invalid' })
    expect(fake.requests).toHaveLength(1)
    const [run] = await runsOf(tight.workspaceId)
    expect(run).toMatchObject({ outcome: 'invalid', errorClass: 'invalid_json' })
    expect(await holdsOf(tight.workspaceId)).toHaveLength(0)

    // With room, the second request is made under a hold raised to cover it.
    const roomy = await contextWith({ monthlyTokenBudget: 100_000 })
    let answer!: () => void
    const after = new Promise<void>((resolve) => (answer = resolve))
    fake.reset()
    fake.failNext({ kind: 'invalid-json' }, { kind: 'slow', delayMs: after })
    fake.respond = () => ({ content: '{"text":"fine"}' })
    const call = runStructured('rewrite', roomy, Rewrite, ask)
    await until(
      () => fake.requests.length,
      (n) => n === 2,
    )
    const [hold] = await holdsOf(roomy.workspaceId)
    const firstCost = fake.requests[0]!.body.messages.reduce((sum, m) => sum + m.content.length, 0)
    // What the first request cost and the second's largest cost (its output limit and prompt).
    expect(hold!.tokens).toBeGreaterThan(AI_MAX_OUTPUT_TOKENS.rewrite + Math.ceil(firstCost / 4))
    answer()
    expect(await call).toEqual({ ok: true, value: { text: 'fine' } })
    expect(await holdsOf(roomy.workspaceId)).toHaveLength(0)
  })

  it('the gate holds the JSON Schema a structured request carries, not only its messages', async () => {
    const ctx = await contextWith({ monthlyTokenBudget: 1_000_000 })
    let answer!: () => void
    fake.failNext({ kind: 'slow', delayMs: new Promise<void>((resolve) => (answer = resolve)) })
    fake.respond = () => ({ content: '{"text":"fine"}' })
    const call = runStructured('rewrite', ctx, Rewrite, ask)
    await until(
      () => fake.requests.length,
      (n) => n === 1,
    )
    const [hold] = await holdsOf(ctx.workspaceId)
    const schemaChars = JSON.stringify(fake.requests[0]!.body.response_format!.json_schema!.schema).length
    const promptChars = ask.reduce((sum, m) => sum + m.content.length, 0)
    expect(hold!.tokens).toBe(AI_MAX_OUTPUT_TOKENS.rewrite + Math.ceil((promptChars + schemaChars) / 4))
    answer()
    await call
  })

  it('counts reasoning tokens a server reports beside completion_tokens, not twice when inside', async () => {
    const ctx = await context()
    const usages = [
      // OpenAI: the reasoning is part of completion_tokens.
      {
        prompt_tokens: 10,
        completion_tokens: 50,
        total_tokens: 60,
        completion_tokens_details: { reasoning_tokens: 40 },
      },
      // Beside it, total_tokens including it.
      {
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 85,
        completion_tokens_details: { reasoning_tokens: 70 },
      },
      // Beside it, and no total.
      { prompt_tokens: 10, completion_tokens: 5, completion_tokens_details: { reasoning_tokens: 70 } },
    ]
    for (const usage of usages) {
      fake.respond = () => ({ content: '{"text":"fine"}', usage })
      expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ ok: true })
    }
    // And a stream's last chunk, reported beside it.
    fake.respond = () => ({
      content: 'Thanks for waiting.',
      usage: {
        prompt_tokens: 21,
        completion_tokens: 0,
        total_tokens: 81,
        completion_tokens_details: { reasoning_tokens: 60 },
      },
    })
    const stream = await runStream('draft', ctx, ask)
    if (!stream.ok) throw new Error('expected a stream')
    for await (const _ of stream.deltas) void _
    const runs = await runsOf(ctx.workspaceId)
    expect(runs.map((r) => r.tokensOut).sort((a, b) => a - b)).toEqual([50, 60, 75, 75])
  })
})

describe('a structured answer that does not stop', () => {
  const huge = () => JSON.stringify({ text: 'w'.repeat(5_000_000) })

  it('is not read past the cap, not asked for again, recorded invalid and stored cut short', async () => {
    const ctx = await debugContext()
    fake.respond = () => ({ content: huge(), omitUsage: true, bodyPieceBytes: 64 * 1024 })
    const result = await runStructured('rewrite', ctx, Rewrite, ask)
    expect(result).toMatchObject({ ok: false, reason: 'invalid', message: AI_MESSAGES.noSuggestion })
    expect(fake.requests).toHaveLength(1)
    await expect.poll(() => fake.requests[0]!.aborted).toBe(true)
    const [run] = await runsOf(ctx.workspaceId)
    expect(run).toMatchObject({ outcome: 'invalid', errorClass: 'TooLong' })
    expect(run!.answer!.length).toBeLessThanOrEqual(MAX_STRUCTURED_ANSWER_BYTES)
    // What arrived is counted (the server never said what it billed).
    expect(run!.tokensOut).toBeGreaterThanOrEqual(Math.floor(MAX_STRUCTURED_ANSWER_BYTES / 4) - 1)
  })

  it('one that says its size up front is not read at all', async () => {
    const ctx = await debugContext()
    fake.respond = () => ({ content: huge() })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ ok: false, reason: 'invalid' })
    expect(fake.requests).toHaveLength(1)
    const [run] = await runsOf(ctx.workspaceId)
    expect(run).toMatchObject({ outcome: 'invalid', errorClass: 'TooLong', answer: '' })
    expect(run!.tokensIn).toBeGreaterThan(0)
  })

  it('an answer under the cap is read whole, and ai_runs keeps at most AI_STORED_ANSWER_CHARS of any', async () => {
    const ctx = await debugContext()
    const text = 'v'.repeat(60_000)
    fake.respond = () => ({ content: JSON.stringify({ text }), bodyPieceBytes: 16 * 1024 })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toEqual({ ok: true, value: { text } })
    const stream = await debugContext()
    fake.respond = () => ({
      content: 'u'.repeat(10_000).repeat(12),
      chunks: Array(12).fill('u'.repeat(10_000)),
    })
    const result = await runStream('draft', stream, ask)
    if (!result.ok) throw new Error('expected a stream')
    await expect(async () => {
      for await (const _ of result.deltas) void _
    }).rejects.toThrow(AI_MESSAGES.tooLong)
    const [run] = await runsOf(stream.workspaceId)
    expect(run!.answer!.length).toBe(AI_STORED_ANSWER_CHARS)
  })
})

describe('calls started at the same moment against the monthly budget', () => {
  async function withBudget(budget: number, used: number) {
    const ctx = await contextWith({ monthlyTokenBudget: budget })
    await getDb().insert(aiRuns).values({
      workspaceId: ctx.workspaceId,
      feature: 'draft',
      model: 'fake-mini',
      tokensIn: used,
      tokensOut: 0,
      latencyMs: 1,
      outcome: 'ok',
    })
    return ctx
  }
  const used = async (workspaceId: string) =>
    (await runsOf(workspaceId)).reduce((sum, r) => sum + r.tokensIn + r.tokensOut, 0)
  const holdsOf = (workspaceId: string) =>
    getDb().select().from(aiBudgetHolds).where(eq(aiBudgetHolds.workspaceId, workspaceId))

  it('ten drafts with 3,000 tokens left: one runs, the others are refused, the budget is overshot by one call at most', async () => {
    const ctx = await withBudget(9_000, 6_000)
    // About 1,500 tokens each, slow enough that all ten are under way together.
    fake.respond = () => ({
      content: 'word '.repeat(1_200),
      chunks: Array(20).fill('word '.repeat(60)),
      chunkDelayMs: 20,
    })
    const results = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const result = await runStream('draft', ctx, ask)
        if (!result.ok) return result.reason
        for await (const _ of result.deltas) void _
        return 'ok'
      }),
    )
    expect(results.filter((r) => r === 'ok')).toHaveLength(1)
    expect(results.filter((r) => r === 'budget')).toHaveLength(9)
    expect(fake.requests).toHaveLength(1)
    expect(await used(ctx.workspaceId)).toBeLessThanOrEqual(9_000 + 1_600)
    expect(await holdsOf(ctx.workspaceId)).toHaveLength(0)
  })

  it('a call that fails gives its hold back, and a hold its process left lapses at its time', async () => {
    const ctx = await withBudget(100_000, 0)
    fake.failNext({ kind: 'status', status: 401 })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ reason: 'failed' })
    expect(await holdsOf(ctx.workspaceId)).toHaveLength(0)

    // A dead process's hold of the whole budget: counted until it lapses.
    await getDb()
      .insert(aiBudgetHolds)
      .values({ workspaceId: ctx.workspaceId, tokens: 100_000, expiresAt: new Date(Date.now() + 60_000) })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ ok: false, reason: 'budget' })
    await getDb()
      .update(aiBudgetHolds)
      .set({ expiresAt: new Date(Date.now() - 1_000) })
      .where(eq(aiBudgetHolds.workspaceId, ctx.workspaceId))
    fake.respond = () => ({ content: '{"text":"ok"}' })
    expect(await runStructured('rewrite', ctx, Rewrite, ask)).toMatchObject({ ok: true })
    expect(await holdsOf(ctx.workspaceId)).toHaveLength(0)
    expect(fake.requests).toHaveLength(2)
  })

  it('a run without reported usage is marked as estimated', async () => {
    const ctx = await context()
    fake.respond = () => ({ content: '{"text":"guess"}', omitUsage: true })
    await runStructured('rewrite', ctx, Rewrite, ask)
    fake.respond = () => ({ content: '{"text":"counted"}' })
    await runStructured('rewrite', ctx, Rewrite, ask)
    const runs = await runsOf(ctx.workspaceId)
    expect(runs.map((r) => r.tokensEstimated).sort()).toEqual([false, true])
  })
})
