// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database under DATA_DIR).
import path from 'node:path'
import pg from 'pg'
import { startEmbeddedPostgres } from '#db/embedded.ts'
import { migrateDatabase } from '#db/migrate.ts'
import { env } from '#app/env.server.ts'

const config = env()
const embedded = config.databaseUrl
  ? undefined
  : await startEmbeddedPostgres(path.join(config.dataDir, 'postgres'))
const pool = new pg.Pool({ connectionString: config.databaseUrl ?? embedded!.url })
try {
  await migrateDatabase(pool)
  console.log('Migrations applied.')
} finally {
  await pool.end()
  await embedded?.stop()
}
