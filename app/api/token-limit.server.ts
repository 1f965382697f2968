import { secondsUntilReset, type Slot } from '#app/domain/rate-limit.server.ts'
import { env } from '#app/env.server.ts'

/**
 * The API's per-token limit: API_RATE_LIMIT_PER_MINUTE per minute, shared by REST (auth.server.ts)
 * and MCP (app/mcp/endpoint.server.ts), which both take the slot in the token lookup's statement
 * (verifyApiTokenAndTakeSlot), so a token's requests count together.
 */
export function apiTokenLimit() {
  return { max: env().apiRateLimitPerMinute, windowMs: 60_000 }
}

/** The RateLimit headers every answer carries, whether the request may go on and, when not, its Retry-After. */
export function apiSlotAnswer(slot: Slot, max: number) {
  const resetSeconds = secondsUntilReset(slot)
  return {
    allowed: slot.allowed,
    max,
    resetSeconds,
    retryAfter: String(Math.max(1, resetSeconds)),
    headers: {
      'ratelimit-limit': String(max),
      'ratelimit-remaining': String(slot.remaining),
      'ratelimit-reset': String(resetSeconds),
    },
  }
}

export type ApiSlotAnswer = ReturnType<typeof apiSlotAnswer>
