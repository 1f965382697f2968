// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database under DATA_DIR).
// With the server running on that DATA_DIR, it migrates the server's running database.
import pg from 'pg'
import { migrateDatabase } from '#db/migrate.ts'
import { env } from '#app/env.server.ts'
import { exitOnScriptDatabaseError, openScriptDatabase } from './database.ts'

const config = env()
const database = await openScriptDatabase(config).catch(exitOnScriptDatabaseError)
const pool = new pg.Pool({ connectionString: database.url })
try {
  await migrateDatabase(pool)
  console.log('Migrations applied.')
} finally {
  await pool.end()
  await database.stop()
}
