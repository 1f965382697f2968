import { and, asc, eq, ne, sql } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { cannedResponses } from '../schema.ts'

export async function listCannedResponses(db: DbOrTx, workspaceId: string) {
  return db
    .select({ id: cannedResponses.id, title: cannedResponses.title, body: cannedResponses.body })
    .from(cannedResponses)
    .where(eq(cannedResponses.workspaceId, workspaceId))
    .orderBy(asc(cannedResponses.title))
}

export type CannedResponseValues = { title: string; body: string }

const columns = { id: cannedResponses.id, title: cannedResponses.title, body: cannedResponses.body }

export async function getCannedResponse(
  db: DbOrTx,
  { workspaceId, id, forUpdate = false }: { workspaceId: string; id: string; forUpdate?: boolean },
) {
  const query = db
    .select(columns)
    .from(cannedResponses)
    .where(and(eq(cannedResponses.workspaceId, workspaceId), eq(cannedResponses.id, id)))
  const [row] = forUpdate ? await query.for('update') : await query
  return row
}

/** The id of another canned response of the workspace with this title in any case, if any. */
export async function findCannedResponseTitled(
  db: DbOrTx,
  { workspaceId, title, exceptId }: { workspaceId: string; title: string; exceptId?: string },
) {
  const [row] = await db
    .select({ id: cannedResponses.id })
    .from(cannedResponses)
    .where(
      and(
        eq(cannedResponses.workspaceId, workspaceId),
        eq(sql`lower(${cannedResponses.title})`, title.toLowerCase()),
        exceptId ? ne(cannedResponses.id, exceptId) : undefined,
      ),
    )
    .limit(1)
  return row
}

export async function insertCannedResponse(
  db: DbOrTx,
  { workspaceId, values }: { workspaceId: string; values: CannedResponseValues },
) {
  const [row] = await db
    .insert(cannedResponses)
    .values({ workspaceId, ...values })
    .returning(columns)
  return row
}

export async function updateCannedResponseRow(
  db: DbOrTx,
  { workspaceId, id, values }: { workspaceId: string; id: string; values: CannedResponseValues },
) {
  await db
    .update(cannedResponses)
    .set(values)
    .where(and(eq(cannedResponses.workspaceId, workspaceId), eq(cannedResponses.id, id)))
}

export async function deleteCannedResponseRow(
  db: DbOrTx,
  { workspaceId, id }: { workspaceId: string; id: string },
) {
  await db
    .delete(cannedResponses)
    .where(and(eq(cannedResponses.workspaceId, workspaceId), eq(cannedResponses.id, id)))
}
