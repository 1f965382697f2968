import { secondsUntilReset, takeSlot } from '#app/domain/rate-limit.server.ts'
import { env } from '#app/env.server.ts'

/**
 * The API's per-token limit, shared by REST (operation.server.ts) and MCP (app/mcp/endpoint.server.ts)
 * so a token's requests count together: takes a slot and returns the RateLimit headers every
 * answer carries, whether the request may go on and, when not, its Retry-After.
 */
export async function takeApiTokenSlot(tokenId: string) {
  const max = env().apiRateLimitPerMinute
  const slot = await takeSlot(`api:token:${tokenId}`, { max, windowMs: 60_000 })
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
