import { eq } from 'drizzle-orm'
import { getDb } from '#db/client.ts'
import { emails } from '#db/schema.ts'
import { sendEmails } from '#app/jobs/worker.server.ts'
import type { FakeSendGrid } from '#tests/fakes/sendgrid.ts'

/**
 * Attempt number `retryCount` of the email's current email.send job (5 of 5: the last), as the
 * worker runs it, so what the worker does on a last attempt (markEmailFailed) runs too.
 */
export async function runEmailAttempt(emailId: string, retryCount: number) {
  const [row] = await getDb().select({ jobId: emails.jobId }).from(emails).where(eq(emails.id, emailId))
  const job = {
    id: row!.jobId!,
    name: 'email.send',
    data: { emailId },
    retryCount,
    retryLimit: 5,
    deadLetter: 'jobs.dead-letter',
  }
  const [result] = await sendEmails([job as unknown as Parameters<typeof sendEmails>[0][number]])
  return result!
}

/** The requests the fake SendGrid got for one email (by its `custom_args.email_id`). */
export const sendGridRequestsFor = (fake: FakeSendGrid, emailId: string) =>
  fake.requests.filter(
    (r) => (r.body as { custom_args?: { email_id?: string } })?.custom_args?.email_id === emailId,
  )
