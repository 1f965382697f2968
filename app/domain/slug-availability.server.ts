import { getDb } from '#db/client.ts'
import { workspaceSlugTaken } from '#db/queries/onboarding.ts'
import { WorkspaceSlug } from '#app/utils/schemas.ts'
import { secondsUntilReset, takeSlot, type Limit } from './rate-limit.server.ts'

/** Generous for typing (one check per pause), too slow to list which workspaces exist. */
export const SLUG_CHECK_LIMIT: Limit = { max: 30, windowMs: 60_000 }

export type SlugAvailability =
  { kind: 'answered'; available: boolean } | { kind: 'rate-limited'; retryAfterSeconds: number }

/**
 * Whether signup could take this workspace URL. The answer is one bit: a reserved or malformed
 * slug is simply not available, and nothing about the workspace behind a taken one is revealed.
 * Limited per client address before the database is asked.
 */
export async function checkSlugAvailability(slug: string, clientIp: string): Promise<SlugAvailability> {
  const slot = await takeSlot(`slug-check-ip:${clientIp}`, SLUG_CHECK_LIMIT)
  if (!slot.allowed) {
    return {
      kind: 'rate-limited',
      retryAfterSeconds: Math.max(1, secondsUntilReset(slot)),
    }
  }
  // Checked as signup would store it (trimmed, lowercased).
  const parsed = WorkspaceSlug.safeParse(slug)
  if (!parsed.success) return { kind: 'answered', available: false }
  return { kind: 'answered', available: !(await workspaceSlugTaken(getDb(), { slug: parsed.data })) }
}
