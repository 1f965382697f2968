// `npm run bench:similar`: latency of the ticket page's similar-tickets lookup (issue 10: p95 < 50 ms
// on the 1,000,000-ticket seed), the same two queries the page runs (the ticket's lexemes, then the
// OR-ed full-text match among resolved and closed tickets), for tickets picked at random from the
// bench workspace (`npm run db:seed -- --tickets 1000000`, DATA_DIR default .data-bench). One lookup
// at a time, then 8 at once. Prints figures and the slowest lookup's plan; asserts nothing.
// Options: --lookups N (default 300) --explain (print EXPLAIN ANALYZE of the slowest)
import path from 'node:path'
import { sql } from 'drizzle-orm'
import { connectDatabase, disconnectDatabase, getDb } from '#db/client.ts'
import {
  commonLexemeShares,
  findSimilarTickets,
  orQuery,
  pickTerms,
  SIMILAR_CANDIDATES,
  ticketLexemes,
} from '#db/queries/similar-tickets.ts'
import { exitOnScriptDatabaseError, openScriptDatabase } from './database.ts'

const arg = (name: string) => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? undefined : process.argv[at + 1]
}
const LOOKUPS = Number(arg('lookups') ?? 300)
const EXPLAIN = process.argv.includes('--explain')
const dataDir = path.resolve(process.env.DATA_DIR ?? '.data-bench')

const database = await openScriptDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir }).catch(
  exitOnScriptDatabaseError,
)
connectDatabase(database.url, 10)
try {
  const db = getDb()
  const { rows: ws } = await db.execute<{ id: string; tickets: number }>(
    sql`select id, next_ticket_number - 1 as tickets from workspaces where slug = 'bench'`,
  )
  if (!ws[0]) throw new Error("No 'bench' workspace: run `npm run db:seed -- --tickets 1000000` first.")
  const workspaceId = ws[0].id
  const { rows: picked } = await db.execute<{ id: string }>(sql`
    select id from tickets tablesample system (1)
    where workspace_id = ${workspaceId} limit ${LOOKUPS}`)
  const shares = await commonLexemeShares(db)
  console.log(
    `bench workspace: ${ws[0].tickets} tickets; ${picked.length} lookups; ${shares.size} common lexemes`,
  )

  const lookup = async (ticketId: string) => {
    const started = performance.now()
    const terms = pickTerms(await ticketLexemes(db, { workspaceId, ticketId }), shares)
    const lexemesMs = performance.now() - started
    const found = await findSimilarTickets(db, { workspaceId, excludeTicketId: ticketId, terms, limit: 5 })
    const ms = performance.now() - started
    return { ms, lexemesMs, matchMs: ms - lexemesMs, ticketId, terms, found: found.length }
  }
  for (const t of picked.slice(0, 20)) await lookup(t.id) // warm the cache
  const report = (label: string, runs: Awaited<ReturnType<typeof lookup>>[]) => {
    const ms = runs.map((r) => r.ms).sort((a, b) => a - b)
    const at = (q: number) => ms[Math.min(ms.length - 1, Math.ceil(q * ms.length) - 1)]!.toFixed(2)
    const empty = runs.filter((r) => r.found === 0).length
    const part = (key: 'lexemesMs' | 'matchMs') => {
      const v = runs.map((r) => r[key]).sort((a, b) => a - b)
      const q = (p: number) => v[Math.min(v.length - 1, Math.ceil(p * v.length) - 1)]!.toFixed(2)
      return `p50 ${q(0.5)} / p95 ${q(0.95)} ms`
    }
    console.log(
      `${label}: n=${ms.length} p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms; ${empty} with no match` +
        ` (lexemes ${part('lexemesMs')}, match ${part('matchMs')})`,
    )
  }
  const sequential = []
  for (const t of picked) sequential.push(await lookup(t.id))
  report('sequential', sequential)
  const concurrent: Awaited<ReturnType<typeof lookup>>[] = []
  const queue = [...picked]
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let t = queue.shift(); t; t = queue.shift()) concurrent.push(await lookup(t.id))
    }),
  )
  report('8 concurrent', concurrent)
  if (EXPLAIN) {
    const slowest = sequential.sort((a, b) => b.ms - a.ms)[0]!
    console.log(`slowest: ${slowest.ms.toFixed(2)} ms, terms ${slowest.terms.join(' ')}`)
    const query = orQuery(slowest.terms)
    const plan = await db.execute<{ 'QUERY PLAN': string }>(sql`
      explain (analyze, buffers)
      select c.id from (
        select t.id, t.last_activity_at, ts_rank(t.search, ${query}::tsquery) as rank
        from tickets t
        where t.workspace_id = ${workspaceId} and t.status in ('resolved', 'closed')
          and t.id <> ${slowest.ticketId} and t.search @@ ${query}::tsquery
        order by t.last_activity_at desc nulls last, t.id desc nulls last limit ${SIMILAR_CANDIDATES}
      ) c order by c.rank desc, c.last_activity_at desc limit 5`)
    for (const row of plan.rows) console.log(row['QUERY PLAN'])
  }
} finally {
  await disconnectDatabase()
  await database.stop()
}
