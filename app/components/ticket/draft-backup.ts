import type { MessageKind } from '#app/utils/ticket-page-schemas.ts'

/**
 * The composer's text kept in this browser until the server has it: written on every keystroke,
 * dropped once a save of exactly that text is answered. So words typed while the network was down
 * survive what can follow (a link followed offline that ends on an error page, a closed tab, a
 * crash), and the composer brings them back on the next visit. Keyed by user and ticket: another
 * account signed in on the same browser never sees it. `generation` is the server's draft
 * generation the text was typed under: a send or an Undo send since makes it stale.
 */
export type DraftBackup = {
  body: string
  kind: MessageKind
  generation: number
  /** The draft revision the text was typed over ('none': no draft; absent: kept before revisions). */
  revision?: string
} & DraftFieldsShown

/**
 * The reply's other fields as typed: CC (null: the ticket's list, which the agent left as it
 * was), BCC and the "Then set status" choice ('' keeps the status). Text, not lists: a bad
 * address is kept as typed.
 */
export type DraftFieldsShown = { cc: string | null; bcc: string; status: string }

/** The addresses of a CC or BCC field, as the server reads them (case and separators aside). */
export function addressesOf(text: string) {
  return text
    .split(/[\s,;]+/)
    .filter(Boolean)
    .map((a) => a.toLowerCase())
    .join(',')
}

/** Whether two states of the fields name the same recipients and status. */
export function sameFields(a: DraftFieldsShown, b: DraftFieldsShown) {
  const cc = a.cc === null || b.cc === null ? a.cc === b.cc : addressesOf(a.cc) === addressesOf(b.cc)
  return cc && addressesOf(a.bcc) === addressesOf(b.bcc) && a.status === b.status
}

const PREFIX = 'switchboard:unsaved-draft:'

function keyOf(owner: string) {
  return PREFIX + owner
}

export function readDraftBackup(owner: string): DraftBackup | null {
  try {
    const raw = localStorage.getItem(keyOf(owner))
    if (!raw) return null
    const value: unknown = JSON.parse(raw)
    if (typeof value !== 'object' || value === null) return null
    const { body, kind, generation, revision, cc, bcc, status } = value as Record<string, unknown>
    if (typeof body !== 'string' || typeof generation !== 'number') return null
    return {
      body,
      kind: kind === 'note' ? 'note' : 'reply',
      generation,
      ...(typeof revision === 'string' ? { revision } : {}),
      // Kept before the fields were: the ticket's CC, no BCC, keep the status.
      cc: typeof cc === 'string' ? cc : null,
      bcc: typeof bcc === 'string' ? bcc : '',
      status: typeof status === 'string' ? status : '',
    }
  } catch {
    return null // storage disabled (private mode, a policy) or an unreadable entry
  }
}

export function writeDraftBackup(owner: string, backup: DraftBackup) {
  try {
    localStorage.setItem(keyOf(owner), JSON.stringify(backup))
  } catch {
    // Storage full or disabled: the server-side draft is still saved as usual.
  }
}

export function dropDraftBackup(owner: string, onlyIf?: (backup: DraftBackup) => boolean) {
  try {
    if (onlyIf) {
      const backup = readDraftBackup(owner)
      if (!backup || !onlyIf(backup)) return
    }
    localStorage.removeItem(keyOf(owner))
  } catch {
    // As above.
  }
}

/** Signing out forgets every unsaved text this browser kept (a shared computer). */
export function dropAllDraftBackups() {
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const key = localStorage.key(i)
      if (key?.startsWith(PREFIX)) localStorage.removeItem(key)
    }
  } catch {
    // As above.
  }
}

/**
 * What to do with a kept text when the composer mounts with the server's draft: bring it back
 * when it was typed under the page's generation and differs from what the server holds, its CC,
 * BCC and status included (a bad address the server refused), and the agent has not typed
 * anything here yet; forget it otherwise (saved meanwhile, or sent or undone since).
 */
export function backupToRestore(
  backup: DraftBackup | null,
  page: { generation: number; serverBody: string; serverFields: DraftFieldsShown; shown: string },
): 'restore' | 'drop' | 'none' {
  if (!backup) return 'none'
  if (backup.generation !== page.generation) return 'drop'
  // Nothing to bring back: saved meanwhile, or all of it deleted (no notice for an empty box).
  if (backup.body.trim() === '') return 'drop'
  if (backup.body === page.serverBody && sameFields(backup, page.serverFields)) return 'drop'
  if (page.shown !== page.serverBody) return 'none'
  return 'restore'
}
