// `npm run db:seed -- --demo [--reset]`: a demo workspace a new user can sign in to.
// `npm run db:seed -- --tickets N`: N generated tickets in the 'bench' workspace for benchmarks.
// Uses DATABASE_URL, or the embedded database under DATA_DIR (migrated first either way); with the
// server running on that DATA_DIR, it seeds the server's running database.
import { z } from 'zod'
import { connectDatabase, disconnectDatabase } from '#db/client.ts'
import { migrateDatabase } from '#db/migrate.ts'
import { env } from '#app/env.server.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { BENCH_OWNER, seedBenchTickets } from './seed/bench-data.ts'
import { exitOnScriptDatabaseError, openScriptDatabase } from './database.ts'
import { seedDemo } from './seed/demo.ts'

const Args = z.union([
  z.object({ mode: z.literal('demo'), reset: z.boolean() }),
  z.object({ mode: z.literal('tickets'), count: z.coerce.number().int().min(1).max(10_000_000) }),
])

function parseArgs(argv: string[]) {
  const at = argv.indexOf('--tickets')
  if (at !== -1) return Args.parse({ mode: 'tickets', count: argv[at + 1] })
  if (argv.includes('--demo')) return Args.parse({ mode: 'demo', reset: argv.includes('--reset') })
  console.error('Usage: npm run db:seed -- --demo [--reset]\n       npm run db:seed -- --tickets N')
  process.exit(2)
}

const args = parseArgs(process.argv.slice(2))
const config = env()
// This process cannot know the port of a server started with another PORT: without APP_URL the
// address printed is this shell's default, so say so and where the real one is.
const addressNote = config.appUrlFromPort
  ? `\n(APP_URL is not set, so that address is http://localhost:PORT with this shell's PORT, ${config.port}. ` +
    'A server started on another port names its address in its "Switchboard listening on" line: use that.)'
  : ''
const database = await openScriptDatabase(config).catch(exitOnScriptDatabaseError)
const url = database.url
const { pool } = connectDatabase(url)
try {
  await migrateDatabase(pool)
  await startQueue(url)
  if (args.mode === 'demo') {
    const outcome = await seedDemo({ reset: args.reset })
    if (outcome.kind === 'exists') {
      console.log(
        "The 'demo' workspace already exists. Sign in with the login printed when it was created,\n" +
          'or recreate it with: npm run db:seed -- --demo --reset',
      )
    } else {
      console.log(`\nDemo workspace ready: ${config.appUrl}/w/demo/tickets`)
      console.log(`Sign in at ${config.appUrl}/login as ${outcome.email} / ${outcome.password}${addressNote}`)
    }
  } else {
    const { longThread } = await seedBenchTickets(pool, args.count)
    console.log(`\nBench workspace: ${config.appUrl}/w/bench/tickets (200-message thread: #${longThread})`)
    console.log(`Sign in as ${BENCH_OWNER.email} / ${BENCH_OWNER.password}${addressNote}`)
  }
} finally {
  await stopQueue()
  await disconnectDatabase()
  await database.stop()
}
