import type { DbOrTx } from '#db/client.ts'
import { insertAuditEvent, type AuditEventValues } from '#db/queries/audit.ts'

export type AuditEntry = AuditEventValues

/** Written in the same transaction as the change it describes. */
export async function recordAudit(tx: DbOrTx, entry: AuditEntry) {
  await insertAuditEvent(tx, entry)
}
