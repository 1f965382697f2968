import type { SubmissionResult } from '@conform-to/react'
import { data } from '@remix-run/node'
import type { TeammateConflict } from '#app/utils/drawn-base.ts'

/** Under each field a teammate saved meanwhile: the form's ConflictNotice names their value. */
export const TEAMMATE_CONFLICT_FIELD_ERROR =
  'Changed by a teammate while you were editing: save again to replace their value with yours.'

/**
 * The answer to an edit form's save refused because a teammate saved a field it edited since it
 * was drawn (drawnSave): 409, nothing saved, what was typed kept (the submission's values), the
 * conflict next to each field and named with what is stored (`conflict`, for ConflictNotice), and
 * `reloadStored` so the page loads what is stored now (unlessActionNeverArrived), after which the
 * form names the teammate's save (TeammateSaved) and the next save replaces it. Without JavaScript
 * the page is drawn again from what is stored with the typed values, so a second save goes through.
 */
export function teammateConflict<Extra extends object>(
  submission: {
    reply(options?: { fieldErrors?: Record<string, string[]> }): SubmissionResult<string[]>
  },
  conflict: TeammateConflict[],
  extra: Extra,
) {
  const fieldErrors = Object.fromEntries(conflict.map(({ name }) => [name, [TEAMMATE_CONFLICT_FIELD_ERROR]]))
  return data(
    { ...extra, result: submission.reply({ fieldErrors }), conflict, reloadStored: true as const },
    { status: 409 },
  )
}
