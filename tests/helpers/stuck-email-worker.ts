// A worker process for the crash test: takes one email.send job, says which, and never finishes
// it, until the test kills it with SIGKILL. Run with `node --import tsx`, so the PID is the worker.
import { queue, startQueue } from '#app/jobs/queue.server.ts'

const url = process.env.STUCK_WORKER_DATABASE_URL
if (!url) throw new Error('STUCK_WORKER_DATABASE_URL is required')
await startQueue(url, { listen: true })
await queue().work('email.send', { pollingIntervalSeconds: 0.5 }, async ([job]) => {
  process.stdout.write(`${JSON.stringify({ picked: job.id })}\n`)
  await new Promise(() => {})
})
process.stdout.write(`${JSON.stringify({ ready: true })}\n`)
