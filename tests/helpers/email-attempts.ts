import { eq } from 'drizzle-orm'
import { afterAll, beforeAll } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails } from '#db/schema.ts'
import { queueEmail, type OutgoingEmail } from '#app/domain/email.server.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import type { parseEnv } from '#app/env.server.ts'
import { queue, startQueue } from '#app/jobs/queue.server.ts'
import { sendEmails } from '#app/jobs/worker.server.ts'
import { FakeSendGrid } from '#tests/fakes/sendgrid.ts'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

/**
 * A fake SendGrid the app sends to (its key and base URL in the environment) and a started job
 * queue, for the whole file: started before its tests, stopped after them.
 */
export function withFakeSendGrid() {
  const fake = new FakeSendGrid()
  const envStore = globalThis as unknown as { __switchboardEnv?: ReturnType<typeof parseEnv> }
  beforeAll(async () => {
    await fake.start()
    process.env.SENDGRID_API_KEY = fake.apiKey
    process.env.SENDGRID_API_BASE_URL = fake.url
    envStore.__switchboardEnv = undefined
    await startQueue(testDatabaseUrl)
  })
  afterAll(async () => {
    await queue().stop({ graceful: false, timeout: 1000 })
    await fake.stop()
  })
  return fake
}

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

/** An agent's reply on a new ticket, its email queued (its job not run): who sent it, and the email. */
export async function queuedAgentReply() {
  const member = await createMember()
  const ticket = await createTicketFor(member)
  const outcome = await replyToTicket(asMember(member), ticket.number, { kind: 'reply', body: 'Fixed' })
  if (outcome.kind !== 'sent') throw new Error(outcome.kind)
  const [email] = await getDb().select().from(emails).where(eq(emails.messageId, outcome.messageId))
  return { member, ticket, messageId: outcome.messageId, emailId: email!.id }
}

let systemEmails = 0
/** An account email of `kind` (no workspace) to an address of its own, queued. */
export async function queuedSystemEmail(kind: OutgoingEmail['kind']) {
  const n = ++systemEmails
  return getDb().transaction((tx) =>
    queueEmail(tx, {
      workspaceId: null,
      kind,
      subject: `Reset your password ${n}`,
      html: '<p>Your link</p>',
      text: 'Your link',
      fromAddress: 'noreply@switchboard.test',
      fromName: 'Switchboard',
      toAddress: `someone-${n}-${Date.now()}@example.com`,
    }),
  )
}
