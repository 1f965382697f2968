// `npm run jobs:redrive`: moves the jobs pg-boss gave up on (the dead-letter queue, counted on
// /readyz as deadLetters) back to their queues, to run again now that their cause is fixed.
// `npm run jobs:redrive -- --queue email.send` moves only that queue's jobs; `--dry-run` counts.
// A redriven email.send job sends its email once, unless SendGrid may already have it (then the
// ticket's Retry asks the agent first): docs/data-flow.md, Dead letters.
// Uses DATABASE_URL, or the embedded database under DATA_DIR (the running server's, if up).
import { env } from '#app/env.server.ts'
import { DEAD_LETTER_QUEUE, JOB_NAMES, startQueue, stopQueue, type JobName } from '#app/jobs/queue.server.ts'
import { exitOnScriptDatabaseError, openScriptDatabase } from './database.ts'

const args = process.argv.slice(2)
const queueAt = args.indexOf('--queue')
const sourceName = queueAt >= 0 ? args[queueAt + 1] : undefined
if (sourceName !== undefined && !JOB_NAMES.includes(sourceName as JobName)) {
  console.error(`Unknown queue ${JSON.stringify(sourceName)}. Queues: ${JOB_NAMES.join(', ')}`)
  process.exit(1)
}
const dryRun = args.includes('--dry-run')

const database = await openScriptDatabase(env()).catch(exitOnScriptDatabaseError)
try {
  const boss = await startQueue(database.url, { listen: false })
  const filter = sourceName ? { sourceName } : {}
  const preview = await boss.previewRedrive(DEAD_LETTER_QUEUE, filter)
  for (const { name, count } of preview.destinations) console.log(`${name}: ${count} dead-lettered`)
  if (preview.total === 0) console.log('No dead-lettered jobs.')
  if (!dryRun && preview.total > 0) {
    let moved = 0
    // 1,000 a call (pg-boss's batch); a job that dead-letters again meanwhile is not taken twice.
    for (let batch = await boss.redrive(DEAD_LETTER_QUEUE, filter); batch > 0;) {
      moved += batch
      batch = moved < preview.total ? await boss.redrive(DEAD_LETTER_QUEUE, filter) : 0
    }
    console.log(`Redriven: ${moved} job(s), each to run again on its queue.`)
  }
} finally {
  await stopQueue()
  await database.stop()
}
