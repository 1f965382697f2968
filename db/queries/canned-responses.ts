import { asc, eq } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { cannedResponses } from '../schema.ts'

export async function listCannedResponses(db: DbOrTx, workspaceId: string) {
  return db
    .select({ id: cannedResponses.id, title: cannedResponses.title, body: cannedResponses.body })
    .from(cannedResponses)
    .where(eq(cannedResponses.workspaceId, workspaceId))
    .orderBy(asc(cannedResponses.title))
}
