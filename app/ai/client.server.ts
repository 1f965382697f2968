import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  BadRequestError,
  RateLimitError,
} from 'openai/error'
import type OpenAI from 'openai'
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from 'openai/resources/chat/completions'
import { z } from 'zod'
import { getDb } from '#db/client.ts'
import { holdBudget, insertAiRun, raiseBudgetHold, releaseBudgetHold } from '#db/queries/ai.ts'
import { env } from '#app/env.server.ts'
import { logger } from '#app/logger.server.ts'
import { secondsUntilReset, takeSlot, type Slot } from '#app/domain/rate-limit.server.ts'
import {
  AI_INTERACTIVE_PER_DAY,
  AI_INTERACTIVE_PER_MINUTE,
  AI_MESSAGES,
  providerBusyMessage,
  type AiFeature,
} from './features.ts'
import { getAiSettings, startOfMonthUtc, tokensUsedThisMonth, type AiSettings } from './settings.server.ts'
import { checkJsonInput } from '#app/http/json-input.server.ts'
import { withoutPrivateLinks } from '#app/utils/private-links.ts'
import { sliceWhole, wellFormed, withoutNulText } from '#app/utils/well-formed.ts'

/**
 * The one way the app talks to a model (Chat Completions, OpenAI or any compatible server).
 *
 * Every call goes through the same gate (configured? feature on? budget left? under the
 * per-user rate?), the same deadline (20 s interactive, 60 s jobs), the same bounded retries
 * (429 honouring Retry-After, 5xx and network errors with backoff) and leaves one `ai_runs` row.
 * Callers get a result or a refusal with the message to show; nothing here throws for a
 * provider problem.
 *
 *   runStructured(feature, ctx, schema, messages) → { ok: true, value } | AiRefusal
 *   runStream(feature, ctx, messages)             → { ok: true, deltas } | AiRefusal
 *   aiAvailability(workspaceId, feature)          → what a loader shows instead of a control
 */

export type AiContext = {
  workspaceId: string
  ticketId?: string | null
  /** The agent who asked; null for jobs. Interactive calls count against their rate. */
  userId?: string | null
  mode: 'interactive' | 'job'
  /** Aborts the call and the upstream request (the agent pressed Cancel or left). */
  signal?: AbortSignal
}

export type AiMessage = { role: 'system' | 'user' | 'assistant'; content: string }

export type AiRefusalReason =
  | 'not-configured'
  | 'disabled'
  | 'budget'
  | 'rate-limited'
  | 'daily-limit'
  | 'workspace-limit'
  | 'failed'
  | 'invalid'
  | 'timeout'
  | 'cancelled'
  /** The provider answered 429 or 503 (rate limited, overloaded): try again later. */
  | 'provider-busy'

export type AiRefusal = {
  ok: false
  reason: AiRefusalReason
  /** What the agent sees. */
  message: string
  /**
   * rate-limited, daily-limit: seconds until a slot frees up; provider-busy: the provider's
   * Retry-After, when it sent one.
   */
  retryAfterSeconds?: number
}

export const AI_TIMEOUT_MS = { interactive: 20_000, job: 60_000 } as const
/** Attempts per request on 429, 5xx and network errors (the first one included). */
export const AI_MAX_ATTEMPTS = 3
const BACKOFF_BASE_MS = 250

/** Tests shorten the deadlines and backoff so failure modes run in milliseconds. */
const tuning = globalThis as unknown as {
  __switchboardAiTuning?: { timeoutMs?: number; backoffBaseMs?: number }
}

// ---------------------------------------------------------------------------------------------
// The gate

/**
 * `holdId`: the tokens held against the monthly budget while the call runs (null: no budget).
 * `triageSlots`: the workspace's triage slots the call took (given back when the provider was busy).
 */
type Gate = { ok: true; settings: AiSettings; holdId: string | null; triageSlots: Slot[] } | AiRefusal

function refusal(reason: AiRefusalReason, retryAfterSeconds?: number): AiRefusal {
  const message =
    reason === 'not-configured'
      ? AI_MESSAGES.notConfigured
      : reason === 'disabled'
        ? AI_MESSAGES.disabled
        : reason === 'budget'
          ? AI_MESSAGES.budgetUsed
          : reason === 'rate-limited'
            ? AI_MESSAGES.rateLimited
            : reason === 'daily-limit'
              ? AI_MESSAGES.dailyLimit
              : reason === 'workspace-limit'
                ? AI_MESSAGES.triageLimit
                : reason === 'provider-busy'
                  ? providerBusyMessage(retryAfterSeconds)
                  : AI_MESSAGES.noSuggestion
  return { ok: false, reason, message, ...(retryAfterSeconds ? { retryAfterSeconds } : {}) }
}

export type AiAvailability = 'ok' | 'not-configured' | 'disabled' | 'budget'

/**
 * What a page shows for `feature`: 'ok' (the control), or why not. Does not take a rate slot.
 * Not configured is an expected state, never logged.
 */
export async function aiAvailability(workspaceId: string, feature: AiFeature): Promise<AiAvailability> {
  return (await aiAvailabilities(workspaceId, [feature]))[feature]!
}

/** aiAvailability for several features with one settings read and one budget query. */
export async function aiAvailabilities<F extends AiFeature>(
  workspaceId: string,
  features: readonly F[],
): Promise<Record<F, AiAvailability>> {
  const answer = (value: (f: F) => AiAvailability) =>
    Object.fromEntries(features.map((f) => [f, value(f)])) as Record<F, AiAvailability>
  if (!env().ai.configured) return answer(() => 'not-configured')
  return availabilitiesWith(workspaceId, await getAiSettings(workspaceId), features)
}

/** aiAvailabilities with the workspace's settings already read (the ticket page's one AI read). */
export async function availabilitiesWith<F extends AiFeature>(
  workspaceId: string,
  settings: AiSettings,
  features: readonly F[],
): Promise<Record<F, AiAvailability>> {
  const answer = (value: (f: F) => AiAvailability) =>
    Object.fromEntries(features.map((f) => [f, value(f)])) as Record<F, AiAvailability>
  if (!env().ai.configured) return answer(() => 'not-configured')
  const anyOn = features.some((f) => settings.features[f])
  const spent = anyOn && (await budgetSpent(workspaceId, settings))
  return answer((f) => (!settings.features[f] ? 'disabled' : spent ? 'budget' : 'ok'))
}

async function budgetSpent(workspaceId: string, settings: AiSettings) {
  if (settings.monthlyTokenBudget === null) return false
  return (await tokensUsedThisMonth(workspaceId)) >= settings.monthlyTokenBudget
}

const DAY_MS = 24 * 60 * 60 * 1000

/** The rate-limit key of a user's interactive calls over 24 hours (tests fill it). */
export const aiDailyKey = (userId: string) => `ai:user-day:${userId}`

const HOUR_MS = 60 * 60 * 1000

/** The rate-limit keys of a workspace's triage calls (tests fill them). */
export const aiTriageKeys = (workspaceId: string) => ({
  hour: `ai:triage-hour:${workspaceId}`,
  day: `ai:triage-day:${workspaceId}`,
})

/** Per workspace and window: when this process may warn again that the triage limit was reached. */
const triageWarnedUntil = new Map<string, number>()

/**
 * A slot of the workspace's triage calls for the hour and for 24 hours (AI_TRIAGE_PER_HOUR,
 * AI_TRIAGE_PER_DAY), or the refusal: triage is one call per new ticket, so without this the spend
 * follows how fast anyone can create tickets. One warning per workspace and window in this process,
 * not one per ticket: a flood would otherwise be a flood of log lines too.
 */
async function takeTriageSlots(workspaceId: string): Promise<AiRefusal | Slot[]> {
  const keys = aiTriageKeys(workspaceId)
  const { triagePerHour, triagePerDay } = env().ai
  const hour = await takeSlot(keys.hour, { max: triagePerHour, windowMs: HOUR_MS })
  if (!hour.allowed) return triageRefused(keys.hour, workspaceId, 'hour', triagePerHour, HOUR_MS)
  const day = await takeSlot(keys.day, { max: triagePerDay, windowMs: DAY_MS })
  if (day.allowed) return [hour, day]
  // No call is made: the hour's slot is given back.
  await hour.release()
  return triageRefused(keys.day, workspaceId, '24 hours', triagePerDay, DAY_MS)
}

function triageRefused(key: string, workspaceId: string, per: string, max: number, windowMs: number) {
  const now = Date.now()
  if ((triageWarnedUntil.get(key) ?? 0) <= now) {
    triageWarnedUntil.set(key, now + windowMs)
    logger().warn(
      { workspaceId, max, per },
      'AI triage limit reached: new tickets of this workspace are not triaged until calls free up',
    )
  }
  return refusal('workspace-limit')
}

/**
 * `holdTokens`: what the call may cost at most (its prompt's estimate and its output limit), held
 * against the monthly budget until it is recorded.
 */
async function gate(feature: AiFeature, ctx: AiContext, holdTokens: number): Promise<Gate> {
  if (!env().ai.configured) return refusal('not-configured')
  const settings = await getAiSettings(ctx.workspaceId)
  if (!settings.features[feature]) return refusal('disabled')
  // Spent: refused before any slot is taken. Otherwise the call holds its cost below.
  if (await budgetSpent(ctx.workspaceId, settings)) return refusal('budget')
  const taken: Slot[] = []
  let triageSlots: Slot[] = []
  if (ctx.mode === 'interactive' && ctx.userId) {
    const minute = await takeSlot(`ai:user:${ctx.userId}`, {
      max: AI_INTERACTIVE_PER_MINUTE,
      windowMs: 60_000,
    })
    if (!minute.allowed) return refusal('rate-limited', Math.max(1, secondsUntilReset(minute)))
    const day = await takeSlot(aiDailyKey(ctx.userId), { max: AI_INTERACTIVE_PER_DAY, windowMs: DAY_MS })
    if (!day.allowed) {
      // No call is made: the minute's slot is given back.
      await minute.release()
      return refusal('daily-limit', Math.max(1, secondsUntilReset(day)))
    }
    taken.push(minute, day)
  }
  // Every triage call, the job's and an agent's "Triage now", within the workspace's caps.
  if (feature === 'triage') {
    const triage = await takeTriageSlots(ctx.workspaceId)
    if (!Array.isArray(triage)) {
      // No call is made: the agent's slots are given back.
      await Promise.all(taken.map((slot) => slot.release()))
      return triage
    }
    taken.push(...triage)
    triageSlots = triage
  }
  const holdId = await holdFor(ctx, settings, holdTokens)
  if (holdId === false) {
    // No call is made: every slot taken is given back.
    await Promise.all(taken.map((slot) => slot.release()))
    return refusal('budget')
  }
  return { ok: true, settings, holdId, triageSlots }
}

/**
 * The call's hold on the workspace's monthly budget: its id, null when there is no budget, false
 * when the tokens used and the holds of the calls under way leave no room. Checked only before
 * each call, ten drafts started at once with 3,000 tokens left all ran (usage 6,000 → 21,000 of a
 * 9,000 budget); now a call's largest cost is held while it runs, so calls started together
 * overshoot the budget by one call at most. The hold lapses a minute after the call's deadline
 * (a process that died during it).
 */
async function holdFor(ctx: AiContext, settings: AiSettings, tokens: number) {
  if (settings.monthlyTokenBudget === null) return null
  const ms = tuning.__switchboardAiTuning?.timeoutMs ?? AI_TIMEOUT_MS[ctx.mode]
  const held = await holdBudget(getDb(), {
    workspaceId: ctx.workspaceId,
    since: startOfMonthUtc(),
    budget: settings.monthlyTokenBudget,
    tokens,
    expiresAt: new Date(Date.now() + ms + 60_000),
  })
  return held ?? false
}

// ---------------------------------------------------------------------------------------------
// The provider client, deadlines and retries

const clients = new Map<string, OpenAI>()

/** The SDK (~10 MB of heap with its zod helpers) loads with the first AI call, not at start-up. */
async function provider() {
  const { apiKey, baseUrl } = env().ai
  const key = `${baseUrl}\n${apiKey ?? ''}`
  let client = clients.get(key)
  if (!client) {
    const { default: OpenAI } = await import('openai')
    // Self-hosted servers (Ollama, llama.cpp) need no key, but the SDK insists on one.
    client = new OpenAI({ apiKey: apiKey ?? 'not-needed', baseURL: baseUrl, maxRetries: 0 })
    clients.set(key, client)
  }
  return client
}

/** The call's deadline and the agent's cancel, as one signal, and which of them fired. */
function deadline(ctx: AiContext) {
  const ms = tuning.__switchboardAiTuning?.timeoutMs ?? AI_TIMEOUT_MS[ctx.mode]
  const timeout = AbortSignal.timeout(ms)
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout
  const endsAt = Date.now() + ms
  return {
    signal,
    ms,
    remaining: () => Math.max(0, endsAt - Date.now()),
    why: (): 'cancelled' | 'timeout' | null =>
      ctx.signal?.aborted ? 'cancelled' : timeout.aborted ? 'timeout' : null,
  }
}
type Deadline = ReturnType<typeof deadline>

/**
 * How long to wait before retrying after `error` (5xx without Retry-After, network errors:
 * backoff), or null when it is not worth retrying. A busy provider's answer (429, or 503 with
 * Retry-After) is `providerBusy`'s: retried at most once, and only when it says when.
 */
export function retryDelayMs(error: unknown, attempt: number): number | null {
  const base = tuning.__switchboardAiTuning?.backoffBaseMs ?? BACKOFF_BASE_MS
  const backoff = base * 2 ** attempt + Math.floor(Math.random() * base)
  if (error instanceof RateLimitError) return null
  if (error instanceof APIUserAbortError || error instanceof APIConnectionTimeoutError) return null
  if (error instanceof APIConnectionError) return backoff
  if (error instanceof APIError && typeof error.status === 'number' && error.status >= 500) return backoff
  return null
}

/**
 * The provider is busy: a 429 (rate limited; not one whose quota or credit is spent, which no wait
 * mends) or a 503 (overloaded). `retryAfterMs` is its Retry-After, or null when it sent none.
 */
export function providerBusy(error: unknown): { retryAfterMs: number | null } | null {
  if (!(error instanceof APIError)) return null
  if (error.status === 429 && error.code !== 'insufficient_quota')
    return { retryAfterMs: retryAfterMs(error.headers) }
  if (error.status === 503) return { retryAfterMs: retryAfterMs(error.headers) }
  return null
}

/** Retry-After as seconds or an HTTP date, or OpenAI's retry-after-ms. */
export function retryAfterMs(headers: Headers | undefined): number | null {
  const ms = Number(headers?.get('retry-after-ms'))
  if (headers?.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms
  const value = headers?.get('retry-after')
  if (!value) return null
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now())
}

function sleep(ms: number, signal: AbortSignal) {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}

/**
 * Runs `request` with bounded retries inside the deadline; rethrows the last error. A busy
 * provider (429, 503) is asked again once at most, after its Retry-After, and only when that wait
 * leaves at least as long again of the deadline for the answer: a 429 without Retry-After, or one
 * that asks for longer, comes back to the agent at once as "busy, try again in N seconds" (until
 * 2026-12-07 a 429 was retried up to three times, after a guessed wait when it named none, and the
 * agent then read "No suggestion right now"). A 503 without Retry-After is a 5xx (backoff).
 */
async function withRetries<T>(limit: Deadline, request: () => Promise<T>): Promise<T> {
  let waitedForBusy = false
  for (let attempt = 0; ; attempt++) {
    try {
      return await request()
    } catch (error) {
      if (limit.why() || attempt + 1 >= AI_MAX_ATTEMPTS) throw error
      const busy = providerBusy(error)
      let wait: number | null
      if (busy && (busy.retryAfterMs !== null || error instanceof RateLimitError)) {
        wait = busy.retryAfterMs
        if (wait === null || waitedForBusy || wait * 2 > limit.remaining()) throw error
        waitedForBusy = true
      } else {
        wait = retryDelayMs(error, attempt)
        if (wait === null || wait >= limit.remaining()) throw error
      }
      await sleep(wait, limit.signal)
      if (limit.why()) throw error
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Recording

type RunRecord = {
  feature: AiFeature
  ctx: AiContext
  settings: AiSettings
  /** The call's hold on the monthly budget, released when the run is recorded. */
  holdId: string | null
  /** The workspace's triage slots this call took (triage only; failRun gives them back when busy). */
  triageSlots: Slot[]
  startedAt: number
  tokensIn: number
  tokensOut: number
  /** Some of the tokens are our estimate: the server reported no usage for them (estimateTokens). */
  estimated: boolean
  outcome: 'ok' | 'invalid' | 'failed' | 'timeout' | 'cancelled'
  errorClass: string | null
  messages: AiMessage[]
  answer: string | null
}

async function record(run: RunRecord) {
  const debug = run.settings.debugUntil !== null
  try {
    await insertAiRun(
      getDb(),
      {
        workspaceId: run.ctx.workspaceId,
        ticketId: run.ctx.ticketId ?? null,
        userId: run.ctx.userId ?? null,
        feature: run.feature,
        model: run.settings.model,
        tokensIn: run.tokensIn,
        tokensOut: run.tokensOut,
        tokensEstimated: run.estimated,
        latencyMs: Math.round(performance.now() - run.startedAt),
        outcome: run.outcome,
        errorClass: run.errorClass,
        prompt: debug ? run.messages : null,
        answer: debug && run.answer !== null ? sliceWhole(run.answer, AI_STORED_ANSWER_CHARS) : null,
      },
      run.holdId,
    )
  } catch (error) {
    logger().error({ err: error, feature: run.feature }, 'could not record an AI run')
  }
  if (run.outcome === 'failed' || run.outcome === 'timeout' || run.outcome === 'invalid') {
    // One line per failed call: the class and status only, never the prompt or the key.
    logger().warn(
      { feature: run.feature, outcome: run.outcome, errorClass: run.errorClass, model: run.settings.model },
      'AI call failed',
    )
  }
}

/**
 * Tokens for `chars` characters when the server reports no usage: OpenAI's rule of thumb for
 * English (about 4 characters a token), no tokenizer. Many OpenAI-compatible servers (Ollama, vLLM,
 * llama.cpp) leave `usage` out, and a stream that is cancelled, times out or breaks never gets its
 * last chunk, which carries it: counted as 0, those calls never moved the monthly budget, though
 * the prompt was sent (and billed) and text came back.
 */
export function estimateTokens(chars: number) {
  return Math.ceil(chars / 4)
}

/** The usage a server reports (a completion's, or a stream's last chunk). */
type ReportedUsage = {
  prompt_tokens?: number
  completion_tokens?: number
  total_tokens?: number
  completion_tokens_details?: { reasoning_tokens?: number } | null
}

/**
 * The output tokens a server billed, reasoning included. OpenAI counts a reasoning model's
 * reasoning in `completion_tokens` (and says how much in `completion_tokens_details`); some
 * compatible servers (Gemini's thinking through proxies, among them) report it beside it: their
 * `total_tokens` is more than prompt + completion, or the reasoning alone is more than the
 * completion. Then it is added. Reasoning a server does not report is counted by no one: an
 * estimate (no usage) covers only the text that arrived.
 */
export function outputTokensOf(usage: ReportedUsage) {
  const completion = usage.completion_tokens ?? 0
  const reasoning = usage.completion_tokens_details?.reasoning_tokens ?? 0
  const beyondPrompt =
    typeof usage.total_tokens === 'number' ? usage.total_tokens - (usage.prompt_tokens ?? 0) : 0
  return Math.max(completion, beyondPrompt, reasoning > completion ? completion + reasoning : 0)
}

/** The estimate of a request's prompt: its messages' text (and the JSON Schema it carries). */
function promptTokens(messages: readonly AiMessage[], extra = '') {
  return estimateTokens(messages.reduce((sum, m) => sum + m.content.length, extra.length))
}

/** Adds an estimate to the run (the server said nothing about these tokens). */
function countEstimate(run: RunRecord, tokensIn: number, tokensOut: number) {
  run.tokensIn += tokensIn
  run.tokensOut += tokensOut
  run.estimated = true
}

/**
 * The request reached the provider and we stopped waiting (the deadline, the agent's cancel): the
 * prompt is billed all the same. A refusal by status (429, 5xx, 400) bills nothing.
 */
function abandoned(limit: Deadline, error: unknown) {
  return (
    limit.why() !== null || error instanceof APIUserAbortError || error instanceof APIConnectionTimeoutError
  )
}

/** The most of an answer `ai_runs` keeps (debug logging): a streamed draft's limit. */
export const AI_STORED_ANSWER_CHARS = 100_000

/**
 * The start every call shares: through the gate, then the provider, the deadline and the run's
 * record (filled in as the call goes, written once by `record`). A refusal when the gate says no.
 */
async function startRun(feature: AiFeature, ctx: AiContext, messages: AiMessage[], promptExtra = '') {
  // Never one of our private links to the provider, whatever a feature put in (a customer's email
  // quoting our "View this conversation" link, filed before inbound email dropped them).
  const sent = messages.map((m) => ({ ...m, content: withoutPrivateLinks(m.content) }))
  // A request's largest cost: its prompt (with a structured call's JSON Schema) and its output limit.
  const requestCost = promptTokens(sent, promptExtra) + AI_MAX_OUTPUT_TOKENS[feature]
  const admitted = await gate(feature, ctx, requestCost)
  if (!admitted.ok) return admitted
  const { settings, holdId, triageSlots } = admitted
  let client: OpenAI
  try {
    client = await provider()
  } catch (error) {
    if (holdId) await releaseBudgetHold(getDb(), { holdId })
    throw error
  }
  const limit = deadline(ctx)
  const run: RunRecord = {
    feature,
    ctx,
    settings,
    holdId,
    triageSlots,
    startedAt: performance.now(),
    tokensIn: 0,
    tokensOut: 0,
    estimated: false,
    outcome: 'ok',
    errorClass: null,
    messages: sent,
    answer: null,
  }
  return { ok: true as const, settings, client, limit, run, messages: sent, requestCost }
}

/**
 * Before a structured call asks again after an invalid answer: its hold raised to what it spent and
 * what the second request may cost, when the budget has room for that whole; false when it has
 * not (the call ends there, `invalid`). A hold of one request let the retry overshoot it by up to
 * twice the output limit. No budget: always.
 */
async function holdForRetry(run: RunRecord, requestCost: number) {
  const budget = run.settings.monthlyTokenBudget
  if (run.holdId === null || budget === null) return true
  return raiseBudgetHold(getDb(), {
    holdId: run.holdId,
    workspaceId: run.ctx.workspaceId,
    since: startOfMonthUtc(),
    budget,
    tokens: run.tokensIn + run.tokensOut + requestCost,
  })
}

/**
 * A call that failed before an answer: records why and returns the refusal the agent sees. A busy
 * provider's (429, 503) says so, with its Retry-After (the route passes it on): it said "No
 * suggestion right now" with a 502 before, and the agent could not tell a wait from a fault. A
 * busy answer to a triage call that billed nothing gives the workspace's triage slots back.
 */
async function failRun(run: RunRecord, limit: Deadline, error: unknown): Promise<AiRefusal> {
  run.outcome = outcomeOf(limit, error)
  run.errorClass = errorClassOf(error)
  const busy = run.outcome === 'failed' ? providerBusy(error) : null
  if (busy && error instanceof APIError && error.status === 503) run.errorClass = PROVIDER_BUSY_503
  await record(run)
  if (!busy) return refusal(run.outcome)
  // Nothing answered, nothing billed: the workspace's triage slots go back, so the triage job
  // that tries the ticket again later takes one slot for it in all (triage.server.ts).
  if (run.tokensIn + run.tokensOut === 0) await Promise.all(run.triageSlots.map((slot) => slot.release()))
  const seconds = busy.retryAfterMs === null ? undefined : Math.max(1, Math.ceil(busy.retryAfterMs / 1000))
  return refusal('provider-busy', seconds)
}

/**
 * The error classes `ai_runs` records for a busy provider: the SDK's for a 429, and this for a
 * 503 (the SDK's is InternalServerError, as for any 5xx). A click that waited for another's call
 * reads them (holderCallOutcome).
 */
const PROVIDER_BUSY_503 = 'ServiceUnavailableError'
export const PROVIDER_BUSY_ERROR_CLASSES: readonly string[] = ['RateLimitError', PROVIDER_BUSY_503]

function errorClassOf(error: unknown) {
  if (error instanceof Error) return error.constructor.name || error.name
  return 'UnknownError'
}

function outcomeOf(limit: Deadline, error: unknown): 'failed' | 'timeout' | 'cancelled' {
  const why = limit.why()
  if (why) return why
  if (error instanceof APIConnectionTimeoutError) return 'timeout'
  return 'failed'
}

// ---------------------------------------------------------------------------------------------
// Structured answers

// ---------------------------------------------------------------------------------------------
// Output limits

/**
 * The most output tokens one call may bill, per feature: room for a long answer (and a reasoning
 * model's reasoning, which counts against the same limit) while a model that does not stop costs
 * a bounded amount. A draft is a reply (the composer takes 100,000 characters, the stream is cut
 * there too); a rewrite or a translation returns the agent's own text, so it gets the most.
 */
export const AI_MAX_OUTPUT_TOKENS: Record<AiFeature, number> = {
  triage: 4_000,
  summarize: 6_000,
  draft: 8_000,
  rewrite: 16_000,
  translate: 16_000,
}

/**
 * Servers that answered 400 to `max_completion_tokens` (older OpenAI-compatible servers only know
 * `max_tokens`, which OpenAI's reasoning models refuse): they get `max_tokens` from then on.
 */
const refusesMaxCompletionTokens = new Set<string>()

function outputLimit(serverKey: string, feature: AiFeature) {
  const tokens = AI_MAX_OUTPUT_TOKENS[feature]
  return refusesMaxCompletionTokens.has(serverKey)
    ? { max_tokens: tokens }
    : { max_completion_tokens: tokens }
}

function refusedOutputLimit(serverKey: string, error: unknown) {
  if (refusesMaxCompletionTokens.has(serverKey) || !(error instanceof BadRequestError)) return false
  const text = `${error.message} ${error.param ?? ''} ${error.code ?? ''}`.toLowerCase()
  if (!text.includes('max_completion_tokens')) return false
  refusesMaxCompletionTokens.add(serverKey)
  return true
}

/** Servers that answered 400 to json_schema: they get json_object from then on (per process). */
const refusesJsonSchema = new Set<string>()

function refusedResponseFormat(error: unknown) {
  if (!(error instanceof BadRequestError)) return false
  const text = `${error.message} ${error.param ?? ''} ${error.code ?? ''}`.toLowerCase()
  return text.includes('response_format') || text.includes('json_schema')
}

function jsonObjectInstructions(schema: z.ZodType): AiMessage {
  return {
    role: 'system',
    content: `Answer with one JSON object, and nothing else, that matches this JSON Schema:\n${JSON.stringify(
      z.toJSONSchema(schema),
    )}`,
  }
}

type Parsed<T> = { ok: true; value: T } | { ok: false; errorClass: 'invalid_json' | 'schema_mismatch' }

function parseAnswer<T>(schema: z.ZodType<T>, content: string | null | undefined): Parsed<T> {
  let json: unknown
  try {
    // Some compatible servers wrap JSON in a Markdown fence even in JSON mode.
    json = JSON.parse((content ?? '').replace(/^\s*```(?:json)?\s*|\s*```\s*$/g, ''))
  } catch {
    return { ok: false, errorClass: 'invalid_json' }
  }
  // A model can answer NUL or a lone surrogate ("\ud83d" alone) inside a string: stored as it
  // is, either fails the statement that records the suggestion.
  const checked = checkJsonInput(json, { nul: 'strip' })
  if ('problem' in checked) return { ok: false, errorClass: 'schema_mismatch' }
  const result = schema.safeParse(checked.value)
  return result.success ? { ok: true, value: result.data } : { ok: false, errorClass: 'schema_mismatch' }
}

/**
 * One structured answer validated by `schema` (a Zod object). Uses json_schema (strict) and
 * falls back to json_object + the same validation when the server refuses it. An answer that
 * fails validation is asked for once more, then dropped (outcome `invalid`).
 */
export async function runStructured<T>(
  feature: AiFeature,
  ctx: AiContext,
  schema: z.ZodType<T>,
  messages: AiMessage[],
  options: { name?: string } = {},
): Promise<{ ok: true; value: T } | AiRefusal> {
  const { zodResponseFormat } = await import('openai/helpers/zod')
  // zodResponseFormat's types are for Zod object schemas; every schema we pass is one.
  const jsonSchema = zodResponseFormat(schema as unknown as z.ZodObject, options.name ?? feature)
  // The JSON Schema goes with the prompt (json_schema, or the instructions of json_object): held too.
  const started = await startRun(feature, ctx, messages, JSON.stringify(jsonSchema.json_schema.schema))
  if (!started.ok) return started
  const { settings, client, limit, run, messages: sent, requestCost } = started
  const serverKey = `${env().ai.baseUrl}\n${settings.model}`

  type Asked = { content: string | null } | { tooLarge: string }

  async function ask(): Promise<Asked> {
    const useJsonObject = refusesJsonSchema.has(serverKey)
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: settings.model,
      messages: useJsonObject ? [...sent, jsonObjectInstructions(schema)] : sent,
      response_format: useJsonObject ? { type: 'json_object' } : jsonSchema,
      ...outputLimit(serverKey, feature),
    }
    const prompt = promptTokens(
      body.messages as AiMessage[],
      useJsonObject ? '' : JSON.stringify(jsonSchema.json_schema.schema),
    )
    // Ends this request alone when its answer grows past the cap (the deadline ends all of them).
    const cut = new AbortController()
    let read: CappedBody | null = null
    try {
      const response = await client.chat.completions
        .create(body, { signal: AbortSignal.any([limit.signal, cut.signal]), timeout: limit.remaining() })
        .asResponse()
      read = await readCapped(response, MAX_STRUCTURED_ANSWER_BYTES, cut)
      if (read.tooLarge) {
        // What it would bill is unknown (the usage comes last); at least what arrived.
        countEstimate(run, prompt, estimateTokens(read.text.length))
        return { tooLarge: read.text }
      }
      const completion = JSON.parse(read.text) as ChatCompletion
      const content = completion.choices[0]?.message?.content ?? null
      if (completion.usage) {
        run.tokensIn += completion.usage.prompt_tokens ?? 0
        run.tokensOut += outputTokensOf(completion.usage)
      } else {
        countEstimate(run, prompt, estimateTokens(content?.length ?? 0))
      }
      return { content }
    } catch (error) {
      if (!useJsonObject && refusedResponseFormat(error)) {
        refusesJsonSchema.add(serverKey)
        return ask()
      }
      if (refusedOutputLimit(serverKey, error)) return ask()
      if (abandoned(limit, error)) countEstimate(run, prompt, estimateTokens(read?.text.length ?? 0))
      throw error
    }
  }

  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      // Asked again only when the budget can hold the second request too.
      if (attempt > 0 && !(await holdForRetry(run, requestCost))) break
      const asked = await withRetries(limit, ask)
      if ('tooLarge' in asked) {
        // Not asked for again: a model that does not stop would send as much a second time.
        run.outcome = 'invalid'
        run.errorClass = 'TooLong'
        run.answer = wellFormed(withoutNulText(asked.tooLarge))
        break
      }
      const { content } = asked
      run.answer = content === null || content === undefined ? content : wellFormed(withoutNulText(content))
      const parsed = parseAnswer(schema, content)
      if (parsed.ok) {
        await record(run)
        return { ok: true, value: parsed.value }
      }
      run.outcome = 'invalid'
      run.errorClass = parsed.errorClass
    }
    await record(run)
    return refusal('invalid')
  } catch (error) {
    return failRun(run, limit, error)
  }
}

/**
 * The most bytes of a structured answer read from the provider. An answer is at most 60,000
 * characters (a translation's, the longest; TranslationAnswer), which JSON may escape to six bytes
 * each (\uXXXX), plus the completion's envelope. Without a cap a 40 MB answer was read whole (and
 * asked for again), parsed on the event loop (the health check took 2.8 s) and stored in ai_runs.
 */
export const MAX_STRUCTURED_ANSWER_BYTES = 60_000 * 6 + 64 * 1024

type CappedBody = { text: string; tooLarge: boolean }

/**
 * The response's body as text, read until `maxBytes`: past it, the request is ended (`cut`) and
 * what arrived so far is returned, marked too large.
 */
async function readCapped(response: Response, maxBytes: number, cut: AbortController): Promise<CappedBody> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes) {
    cut.abort()
    return { text: '', tooLarge: true }
  }
  if (!response.body) return { text: await response.text(), tooLarge: false }
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let bytes = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return { text: text + decoder.decode(), tooLarge: false }
    bytes += value.byteLength
    if (bytes > maxBytes) {
      text += decoder.decode(value.subarray(0, value.byteLength - (bytes - maxBytes)))
      cut.abort()
      void reader.cancel().catch(() => {})
      return { text, tooLarge: true }
    }
    text += decoder.decode(value, { stream: true })
  }
}

// ---------------------------------------------------------------------------------------------
// Streamed text

/**
 * Streams a text answer. Resolves once the provider started answering (retries happen before
 * that), so the caller can send its headers; `deltas` yields the text as it arrives. Stopping
 * the iteration early (or aborting ctx.signal) aborts the upstream request. The run is recorded
 * when the stream ends, with the usage the server reports in its last chunk.
 */
export async function runStream(
  feature: AiFeature,
  ctx: AiContext,
  messages: AiMessage[],
): Promise<{ ok: true; deltas: AsyncGenerator<string, void, undefined> } | AiRefusal> {
  const started = await startRun(feature, ctx, messages)
  if (!started.ok) return started
  const { settings, client, limit, run, messages: sent } = started
  const serverKey = `${env().ai.baseUrl}\n${settings.model}`
  const prompt = promptTokens(sent)
  const open = async (): Promise<Awaited<ReturnType<typeof openStream>>> => {
    try {
      return await openStream()
    } catch (error) {
      if (refusedOutputLimit(serverKey, error)) return open()
      if (abandoned(limit, error)) countEstimate(run, prompt, 0)
      throw error
    }
  }
  const openStream = () =>
    client.chat.completions.create(
      {
        model: settings.model,
        messages: sent,
        stream: true,
        stream_options: { include_usage: true },
        ...outputLimit(serverKey, feature),
      },
      { signal: limit.signal, timeout: limit.remaining() },
    )
  let stream
  try {
    stream = await withRetries(limit, open)
  } catch (error) {
    return failRun(run, limit, error)
  }
  const opened = stream

  async function* deltas() {
    let text = ''
    let finished = false
    let finishReason: string | null | undefined
    let usage: ReportedUsage | undefined
    try {
      for await (const chunk of opened) {
        if (chunk.usage) usage = chunk.usage
        finishReason = chunk.choices[0]?.finish_reason ?? finishReason
        // NUL removed as it streams (PostgreSQL's text refuses it); a surrogate pair split
        // across two deltas is joined again by the reader, so each delta is not mended alone.
        const delta = withoutNulText(chunk.choices[0]?.delta?.content ?? '')
        if (delta) {
          text += delta
          if (text.length > MAX_STREAMED_CHARS) {
            // Longer than any reply can be (the composer takes 100,000 characters): a model
            // that does not stop. The upstream call ends here, not when it is done.
            opened.controller.abort()
            run.outcome = 'failed'
            run.errorClass = 'TooLong'
            throw new AiStreamError('failed', AI_MESSAGES.tooLong)
          }
          yield delta
        }
      }
      // The SDK ends the iteration quietly when its signal aborts: say why it stopped.
      const stopped = limit.why()
      if (stopped) {
        run.outcome = stopped
        run.errorClass = stopped === 'timeout' ? 'TimeoutError' : 'APIUserAbortError'
        throw new AiStreamError(stopped, brokenOff(text))
      }
      // A stream that ended without a word (an HTML error page, an empty choice), or without
      // saying it was finished (cut off on the way), is not a suggestion; one the model stopped
      // at its length limit is one, but cut off, and the agent is told.
      if (!text) {
        run.outcome = 'invalid'
        run.errorClass = 'EmptyAnswer'
        throw new AiStreamError('failed')
      }
      if (!finishReason) {
        run.outcome = 'failed'
        run.errorClass = 'IncompleteStream'
        throw new AiStreamError('failed', AI_MESSAGES.cutOff)
      }
      if (finishReason === 'length') {
        run.errorClass = 'LengthLimit'
        finished = true
        throw new AiStreamError('failed', AI_MESSAGES.lengthLimit)
      }
      finished = true
    } catch (error) {
      if (error instanceof AiStreamError) throw error
      run.outcome = outcomeOf(limit, error)
      run.errorClass = errorClassOf(error)
      throw new AiStreamError(run.outcome, brokenOff(text))
    } finally {
      if (!finished && run.outcome === 'ok') {
        // The consumer stopped reading (the agent cancelled or left): stop the upstream too.
        run.outcome = 'cancelled'
        opened.controller.abort()
      }
      // The usage comes in the stream's last chunk, which a stream that was cancelled, timed out or
      // broke never gets, and some servers never send: then the prompt and the text that arrived.
      if (usage) {
        run.tokensIn = usage.prompt_tokens ?? 0
        run.tokensOut = outputTokensOf(usage)
      } else countEstimate(run, prompt, estimateTokens(text.length))
      run.answer = wellFormed(text)
      await record(run)
    }
  }
  return { ok: true, deltas: deltas() }
}

/**
 * What the agent is told when the stream stopped early (the connection broke, the deadline came):
 * with text already in the composer, that it is cut off ("No suggestion right now" beside half a
 * draft read as if nothing had arrived, and the half was autosaved as it stood).
 */
function brokenOff(text: string) {
  return text ? AI_MESSAGES.cutOff : AI_MESSAGES.noSuggestion
}

/** Thrown by `deltas` when the stream broke after it started; `message` is for the agent. */
export class AiStreamError extends Error {
  constructor(
    readonly outcome: 'failed' | 'timeout' | 'cancelled',
    message: string = AI_MESSAGES.noSuggestion,
  ) {
    super(message)
  }
}

/** A streamed draft stops here: more than the composer takes (MAX_BODY_CHARS). */
export const MAX_STREAMED_CHARS = 100_000
