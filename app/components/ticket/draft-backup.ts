import type { MessageKind } from '#app/utils/ticket-page-schemas.ts'

/**
 * The composer's text kept in this browser until the server has it: written on every keystroke,
 * dropped once a save of exactly that text is answered. So words typed while the network was down
 * survive what can follow (a link followed offline that ends on an error page, a closed tab, a
 * crash), and the composer brings them back on the next visit. Keyed by user and ticket: another
 * account signed in on the same browser never sees it. `generation` is the server's draft
 * generation the text was typed under: a send or an Undo send since makes it stale.
 */
export type DraftBackup = { body: string; kind: MessageKind; generation: number }

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
    const { body, kind, generation } = value as Record<string, unknown>
    if (typeof body !== 'string' || typeof generation !== 'number') return null
    return { body, kind: kind === 'note' ? 'note' : 'reply', generation }
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
 * when it was typed under the page's generation and differs from what the server holds (and the
 * agent has not typed anything here yet); forget it otherwise (saved meanwhile, or sent or undone
 * since).
 */
export function backupToRestore(
  backup: DraftBackup | null,
  page: { generation: number; serverBody: string; shown: string },
): 'restore' | 'drop' | 'none' {
  if (!backup) return 'none'
  if (backup.generation !== page.generation) return 'drop'
  // Nothing to bring back: saved meanwhile, or all of it deleted (no notice for an empty box).
  if (backup.body === page.serverBody || backup.body.trim() === '') return 'drop'
  if (page.shown !== page.serverBody) return 'none'
  return 'restore'
}
