import { eq } from 'drizzle-orm'
import type { DbOrTx } from '../client.ts'
import { workspaces } from '../schema.ts'

// The workspace's slug for an outgoing email's Reply-To. An agent reply reads its thread
// (References, quoted messages) with its writes: recordAgentMessage in messages.ts.

export async function getWorkspaceSlug(db: DbOrTx, { workspaceId }: { workspaceId: string }) {
  const [row] = await db
    .select({ slug: workspaces.slug })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId))
  return row?.slug
}
