import { getDb } from '#db/client.ts'
import {
  getMailbox,
  insertMailbox,
  listMailboxes,
  listMailboxIdentities,
  lockMailboxes,
  setMailboxArchivedAt,
  setMailboxAutoAcknowledgement,
  updateMailboxRow,
  type MailboxValues,
} from '#db/queries/mailboxes.ts'
import { lockKeyForTransaction } from '#db/queries/locks.ts'
import type { Tx } from '#db/client.ts'
import { env } from '#app/env.server.ts'
import {
  mailboxKeyFrom,
  mergeAutoAcknowledgement,
  mergeMailboxEdit,
  parseMailboxBase,
} from '#app/utils/mailbox-schemas.ts'
import { recordAudit } from './audit.server.ts'
import { isUniqueViolation, notFound } from './errors.server.ts'
import type { Member } from './workspaces.server.ts'

export type MailboxInput = MailboxValues & { key?: string }

/** The address a team forwards its public address to: <workspace-slug>.<mailbox-key>@<INBOUND_DOMAIN>. */
export function forwardingAddress(workspaceSlug: string, mailboxKey: string) {
  return `${workspaceSlug}.${mailboxKey}@${env().inboundDomain}`
}

/** Every mailbox of the workspace, active and archived, each with its forwarding address. */
export async function mailboxesOf(member: Pick<Member, 'workspaceId' | 'workspaceSlug'>) {
  const rows = await listMailboxes(getDb(), { workspaceId: member.workspaceId, includeArchived: true })
  return rows.map((m) => ({ ...m, forwardingAddress: forwardingAddress(member.workspaceSlug, m.key) }))
}

/** Another mailbox (archived or not) already has this name or this address. */
export type MailboxConflict =
  { kind: 'name-taken'; archived: boolean } | { kind: 'address-taken'; name: string; archived: boolean }

/**
 * Two mailboxes may not share a name or an address (case-insensitive), archived ones included:
 * pickers would show two identical entries, and restoring an archived one would make them. The
 * workspace's mailbox writes are serialized for the check (an advisory lock), so two posts at
 * once cannot both pass it.
 */
async function conflictOf(
  tx: Tx,
  workspaceId: string,
  input: { name: string; address: string },
  exceptId?: string,
): Promise<MailboxConflict | undefined> {
  await lockKeyForTransaction(tx, `mailboxes:${workspaceId}`)
  const others = (await listMailboxIdentities(tx, { workspaceId })).filter((m) => m.id !== exceptId)
  const sameName = others.find((m) => m.name.toLowerCase() === input.name.toLowerCase())
  if (sameName) return { kind: 'name-taken', archived: sameName.archivedAt !== null }
  const sameAddress = others.find((m) => m.address.toLowerCase() === input.address.toLowerCase())
  if (sameAddress) {
    return { kind: 'address-taken', name: sameAddress.name, archived: sameAddress.archivedAt !== null }
  }
  return undefined
}

export type CreateMailboxOutcome =
  | { kind: 'created'; mailbox: { id: string; key: string } }
  | { kind: 'key-taken'; key: string; fromName: boolean }
  | MailboxConflict

export async function createMailbox(member: Member, input: MailboxInput): Promise<CreateMailboxOutcome> {
  const key = input.key || mailboxKeyFrom(input.name)
  try {
    return await getDb().transaction(async (tx): Promise<CreateMailboxOutcome> => {
      const conflict = await conflictOf(tx, member.workspaceId, input)
      if (conflict) return conflict
      const mailbox = await insertMailbox(tx, {
        workspaceId: member.workspaceId,
        values: {
          key,
          name: input.name,
          address: input.address,
          fromName: input.fromName,
          signature: input.signature,
        },
      })
      await recordAudit(tx, {
        workspaceId: member.workspaceId,
        actorUserId: member.userId,
        action: 'mailbox.created',
        targetType: 'mailbox',
        targetId: mailbox.id,
        data: { key, name: input.name, address: input.address, fromName: input.fromName },
      })
      return { kind: 'created' as const, mailbox: { id: mailbox.id, key } }
    })
  } catch (error) {
    // Archived mailboxes keep their key: mail forwarded to an old address must not land elsewhere.
    if (isUniqueViolation(error, 'mailboxes_workspace_key'))
      return { kind: 'key-taken', key, fromName: !input.key }
    throw error
  }
}

/** Changes a mailbox's name, address, sender name and signature; its key never changes. */
/**
 * Saves a mailbox's name, address, sender name and signature. A field posted as the form was drawn
 * (`input.base`, see mergeMailboxEdit) was not edited: it keeps what is stored, which may be a
 * teammate's change saved since the form was drawn (two admins editing one mailbox: the second
 * save used to put back the values its form had been drawn with). An edited field is saved as
 * posted, the last save winning. The uniqueness of name and address is checked on what is saved.
 */
export async function updateMailbox(
  member: Member,
  mailboxId: string,
  input: MailboxValues & { base?: string },
): Promise<{ kind: 'saved'; saved: MailboxValues } | MailboxConflict> {
  return getDb().transaction(async (tx) => {
    // Locked: a teammate's save of this mailbox at the same moment waits, then keeps what this
    // one wrote in the fields it did not edit.
    const before = await getMailbox(tx, { workspaceId: member.workspaceId, id: mailboxId, forUpdate: true })
    if (!before) throw notFound('No such mailbox')
    const after = mergeMailboxEdit(before, input, parseMailboxBase(input.base))
    const conflict = await conflictOf(tx, member.workspaceId, after, mailboxId)
    if (conflict) return conflict
    await updateMailboxRow(tx, { workspaceId: member.workspaceId, id: mailboxId, values: after })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'mailbox.updated',
      targetType: 'mailbox',
      targetId: mailboxId,
      data: {
        before: {
          name: before.name,
          address: before.address,
          fromName: before.fromName,
          signature: before.signature,
        },
        after,
      },
    })
    return { kind: 'saved' as const, saved: after }
  })
}

export type ArchiveOutcome = { kind: 'archived' } | { kind: 'last-active' }

/** Archives a mailbox: it leaves the pickers, its tickets stay. The last active mailbox stays. */
export async function archiveMailbox(member: Member, mailboxId: string): Promise<ArchiveOutcome> {
  return getDb().transaction(async (tx) => {
    const rows = await lockMailboxes(tx, member.workspaceId)
    const target = rows.find((r) => r.id === mailboxId)
    if (!target) throw notFound('No such mailbox')
    if (target.archivedAt) return { kind: 'archived' as const }
    const active = rows.filter((r) => !r.archivedAt).length
    if (active <= 1) return { kind: 'last-active' as const }
    await setMailboxArchivedAt(tx, { workspaceId: member.workspaceId, id: mailboxId, archivedAt: new Date() })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'mailbox.archived',
      targetType: 'mailbox',
      targetId: mailboxId,
    })
    return { kind: 'archived' as const }
  })
}

export async function unarchiveMailbox(member: Member, mailboxId: string) {
  await getDb().transaction(async (tx) => {
    const mailbox = await getMailbox(tx, { workspaceId: member.workspaceId, id: mailboxId })
    if (!mailbox) throw notFound('No such mailbox')
    if (!mailbox.archivedAt) return
    await setMailboxArchivedAt(tx, { workspaceId: member.workspaceId, id: mailboxId, archivedAt: null })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'mailbox.unarchived',
      targetType: 'mailbox',
      targetId: mailboxId,
    })
  })
}

/** Turns the mailbox's auto-acknowledgement on or off and sets its text (audited). */
/**
 * Turns the mailbox's automatic answer on or off and sets its text. The switch and the text are
 * each saved only when the admin changed them from what the form was drawn with (`input.base`,
 * mergeAutoAcknowledgement); otherwise what is stored stays (a teammate's change since). A merge
 * that would leave it on without a text (a teammate turned it on while this admin emptied the
 * text) is refused: `needs-text`.
 */
export async function setAutoAcknowledgement(
  member: Member,
  mailboxId: string,
  input: { enabled: boolean; text: string; base?: string },
): Promise<{ kind: 'saved'; enabled: boolean } | { kind: 'needs-text' }> {
  return getDb().transaction(async (tx) => {
    const before = await getMailbox(tx, { workspaceId: member.workspaceId, id: mailboxId, forUpdate: true })
    if (!before) throw notFound('No such mailbox')
    const after = mergeAutoAcknowledgement(
      { enabled: before.autoAcknowledge, text: before.autoAcknowledgeText },
      { enabled: input.enabled, text: input.text },
      input.base,
    )
    if (after.enabled && !after.text) return { kind: 'needs-text' as const }
    await setMailboxAutoAcknowledgement(tx, {
      workspaceId: member.workspaceId,
      id: mailboxId,
      values: { autoAcknowledge: after.enabled, autoAcknowledgeText: after.text },
    })
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'mailbox.auto-acknowledgement',
      targetType: 'mailbox',
      targetId: mailboxId,
      data: { enabled: after.enabled },
    })
    return { kind: 'saved' as const, enabled: after.enabled }
  })
}
