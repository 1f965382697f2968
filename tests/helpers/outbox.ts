import { Writable } from 'node:stream'
import { sql } from 'drizzle-orm'
import pino from 'pino'
import { getDb } from '#db/client.ts'

/**
 * The app's logger, at warn level into memory, so a test can read back what the job queue logged.
 * Call it at the top of the test file, before the app logs anything.
 */
export function captureAppWarnings() {
  const lines: Record<string, unknown>[] = []
  ;(globalThis as unknown as { __switchboardLogger?: pino.Logger }).__switchboardLogger = pino(
    { level: 'warn', base: undefined },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
        done()
      },
    }),
  )
  return lines
}

/** An email for queueEmail(): number n of a workspace's outbox. */
export function testEmail(workspaceId: string, n: number) {
  return {
    workspaceId,
    kind: 'ticket-confirmation' as const,
    fromAddress: 'support@example.com',
    fromName: 'Support',
    toAddress: `customer-${n}@example.net`,
    subject: `Message ${n}`,
    html: `<p>Message ${n}</p>`,
    text: `Message ${n}`,
  }
}

/** A pg-boss job's state and output. */
export async function jobState(name: string, id: string) {
  const { rows } = await getDb().execute<{ state: string; output: { outcome?: string } | null }>(
    sql`select state, output from pgboss.job where name = ${name} and id = ${id}`,
  )
  return rows[0]
}
