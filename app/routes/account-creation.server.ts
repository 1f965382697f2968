import type { SubmissionResult } from '@conform-to/react'
import { data } from '@remix-run/node'
import { limitRefusal } from '#app/http/limit-refusal.server.ts'
import { SIGNUP_IP_LIMIT } from '#app/domain/hashing-limits.server.ts'

type Replyable = {
  reply: (options: { hideFields: string[]; formErrors: string[] }) => SubmissionResult<string[]>
}

/** Signup and invitation signup both answer the per-network account-creation limit like this. */
export function tooManyAccounts(submission: Replyable) {
  return data(
    {
      result: submission.reply({
        hideFields: ['password'],
        formErrors: ['Too many accounts were created from your network. Try again in an hour.'],
      }),
    },
    limitRefusal(SIGNUP_IP_LIMIT),
  )
}
