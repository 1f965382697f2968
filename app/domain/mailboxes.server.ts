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
import { mailboxKeyFrom, parseAutoAcknowledgementBase, parseMailboxBase } from '#app/utils/mailbox-schemas.ts'
import { changesNothing, drawnSave, type TeammateSavedFirst } from '#app/utils/drawn-base.ts'
import { recordAudit } from './audit.server.ts'
import { isUniqueViolation, notFound } from './errors.server.ts'
import { markRenamedTickets } from './renamed-tickets.server.ts'
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

/**
 * Saves a mailbox's name, address, sender name and signature (its key never changes). Only the
 * fields the admin edited since the form was drawn (`input.base`, drawnSave) are saved: the others
 * keep what is stored, which may be a teammate's change (two admins editing one mailbox: the second
 * save used to put back the values its form had been drawn with). A field edited here that a
 * teammate saved meanwhile, to something else, is a `conflict` and nothing is saved, unless the
 * admin saw the teammate's value (`input.replace`). The uniqueness of name and address is checked
 * on what is saved. A new name marks the mailbox's tickets updated (markRenamedTickets).
 */
export async function updateMailbox(
  member: Member,
  mailboxId: string,
  input: MailboxValues & { base?: string; replace?: string[] },
): Promise<{ kind: 'saved'; saved: MailboxValues } | MailboxConflict | TeammateSavedFirst> {
  return getDb().transaction(async (tx) => {
    // Locked: a teammate's save of this mailbox at the same moment waits, then keeps what this
    // one wrote in the fields it did not edit.
    const before = await getMailbox(tx, { workspaceId: member.workspaceId, id: mailboxId, forUpdate: true })
    if (!before) throw notFound('No such mailbox')
    const stored = {
      name: before.name,
      address: before.address,
      fromName: before.fromName,
      signature: before.signature,
    }
    const posted = {
      name: input.name,
      address: input.address,
      fromName: input.fromName,
      signature: input.signature,
    }
    const { edited, conflicts } = drawnSave({
      stored,
      posted,
      base: parseMailboxBase(input.base),
      replace: input.replace,
    })
    if (conflicts.length > 0) return { kind: 'teammate-saved' as const, fields: conflicts }
    if (changesNothing(stored, edited)) return { kind: 'saved' as const, saved: stored }
    const after = { ...stored, ...edited }
    const conflict = await conflictOf(tx, member.workspaceId, after, mailboxId)
    if (conflict) return conflict
    await updateMailboxRow(tx, { workspaceId: member.workspaceId, id: mailboxId, values: after })
    // The API shows each of its tickets' `mailbox.name`: they are updated (the rest in batches).
    if (after.name !== stored.name) {
      await markRenamedTickets(tx, { kind: 'mailbox', workspaceId: member.workspaceId, mailboxId })
    }
    await recordAudit(tx, {
      workspaceId: member.workspaceId,
      actorUserId: member.userId,
      action: 'mailbox.updated',
      targetType: 'mailbox',
      targetId: mailboxId,
      data: { before: stored, after },
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
    // Locked, as archiving locks them: a second unarchive waits, then finds it active and writes
    // nothing (it read it archived before the first committed and audited it again).
    const mailbox = await getMailbox(tx, { workspaceId: member.workspaceId, id: mailboxId, forUpdate: true })
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

/**
 * Turns the mailbox's automatic answer on or off and sets its text. The switch and the text are
 * each saved only when the admin changed them from what the form was drawn with (`input.base`,
 * drawnSave); otherwise what is stored stays (a teammate's change since: one turned it off while
 * another edited the text, whose save used to turn it back on). A text a teammate saved meanwhile
 * while this admin wrote another is a conflict, unless `input.replace` names it. A merge that
 * would leave it on without a text (a teammate turned it on while this admin emptied the text) is
 * refused: `needs-text`.
 */
export async function setAutoAcknowledgement(
  member: Member,
  mailboxId: string,
  input: { enabled: boolean; text: string; base?: string; replace?: string[] },
): Promise<{ kind: 'saved'; enabled: boolean } | { kind: 'needs-text' } | TeammateSavedFirst> {
  return getDb().transaction(async (tx) => {
    const before = await getMailbox(tx, { workspaceId: member.workspaceId, id: mailboxId, forUpdate: true })
    if (!before) throw notFound('No such mailbox')
    const stored = { enabled: before.autoAcknowledge, text: before.autoAcknowledgeText }
    const { edited, conflicts } = drawnSave({
      stored,
      posted: { enabled: input.enabled, text: input.text },
      base: parseAutoAcknowledgementBase(input.base),
      replace: input.replace,
    })
    if (conflicts.length > 0) return { kind: 'teammate-saved' as const, fields: conflicts }
    if (changesNothing(stored, edited)) return { kind: 'saved' as const, enabled: stored.enabled }
    const after = { ...stored, ...edited }
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
