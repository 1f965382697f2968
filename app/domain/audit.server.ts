import type { DbOrTx } from '#db/client.ts'
import { auditEvents } from '#db/schema.ts'

export type AuditEntry = {
  workspaceId: string | null
  actorUserId: string | null
  action: string
  targetType: string
  targetId?: string | null
  data?: Record<string, unknown>
}

/** Written in the same transaction as the change it describes. */
export async function recordAudit(tx: DbOrTx, entry: AuditEntry) {
  await tx.insert(auditEvents).values({ ...entry, targetId: entry.targetId ?? null, data: entry.data ?? {} })
}
