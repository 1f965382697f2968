import { z } from 'zod'

/** Summary shapes shared by the server and the browser (no server imports). */

/** "More than 4 messages": the panel shows from the fifth message on. */
export const SUMMARY_MIN_MESSAGES = 5

export const SUMMARY_KINDS = ['issue', 'tried', 'pending'] as const
export const SUMMARY_KIND_LABEL: Record<(typeof SUMMARY_KINDS)[number], string> = {
  issue: 'Issue',
  tried: 'Tried',
  pending: 'Pending',
}

export const SummaryBullets = z
  .array(z.object({ kind: z.enum(SUMMARY_KINDS), text: z.string().trim().min(1).max(400) }))
  .min(3)
  .max(6)
export type SummaryBullet = z.infer<typeof SummaryBullets>[number]
