import type { DbOrTx } from '../client.ts'
import { auditEvents } from '../schema.ts'

export type AuditEventValues = {
  workspaceId: string | null
  actorUserId: string | null
  action: string
  targetType: string
  targetId?: string | null
  data?: Record<string, unknown>
}

export async function insertAuditEvent(db: DbOrTx, entry: AuditEventValues) {
  await db.insert(auditEvents).values({ ...entry, targetId: entry.targetId ?? null, data: entry.data ?? {} })
}
