import { deliverEmail } from '#app/domain/email.server.ts'
import { deleteOldHits } from '#app/domain/rate-limit.server.ts'
import { deleteExpiredSessions } from '#app/domain/sessions.server.ts'
import { logger } from '#app/logger.server.ts'
import { cleanupOrphanFiles } from './files-cleanup.server.ts'
import { queue } from './queue.server.ts'

/** Runs a cleanup of expired sessions and old rate-limit rows. */
export async function cleanupSessions() {
  const sessions = await deleteExpiredSessions()
  const hits = await deleteOldHits()
  logger().info({ job: 'sessions.cleanup', sessions, hits }, 'cleanup done')
  return { sessions, hits }
}

/** Registers the workers and schedules of every queue on the started pg-boss instance. */
export async function startWorkers() {
  const boss = queue()
  await boss.work('sessions.cleanup', async () => {
    await cleanupSessions()
  })
  await boss.work<{ emailId: string }>('email.send', async (jobs) => {
    for (const job of jobs) await deliverEmail(job.data.emailId)
  })
  await boss.work('files.cleanup', async () => {
    await cleanupOrphanFiles()
  })
  // Nightly: stored files that no attachment refers to (refused uploads).
  await boss.schedule('files.cleanup', '17 3 * * *', {})
  // Every 15 minutes; pg-boss makes sure only one instance runs each scheduled slot.
  await boss.schedule('sessions.cleanup', '*/15 * * * *', {})
}
