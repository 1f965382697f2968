import { useCallback, useEffect, useRef, useState, type RefObject } from 'react'
import { useLive } from '#app/components/live/live-provider.tsx'
import type { WorkspaceEvent } from '#app/realtime/protocol.ts'
import type { MessageKind } from '#app/utils/ticket-page-schemas.ts'
import {
  backupToRestore,
  dropDraftBackup,
  readDraftBackup,
  sameFields,
  writeDraftBackup,
  type DraftBackup,
  type DraftFieldsShown,
} from './draft-backup.ts'

/** Wait this long after the last keystroke before saving. */
const SAVE_DEBOUNCE_MS = 1000

/**
 * This page's id, sent with each save as its `writer`: a save over text this page wrote last is
 * never stale (its saves may overlap on the wire), and its own `draft.saved` events are no news.
 */
const PAGE_ID =
  typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `p-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`

/** Every mounted composer's "save now", and the saves on the wire: signing out waits for them. */
const composerFlushes = new Set<() => void>()
const savesOnTheWire = new Set<Promise<unknown>>()

/**
 * Signing out (app/root.tsx): every composer on the page saves now what it has not saved (text
 * typed within the autosave's second). True when a save is on the wire: the sign-out then waits
 * for `draftSavesAnswered` first, since a save arriving after the session ended was refused and
 * the words lost. False: nothing to wait for (the sign-out goes as it always did).
 */
export function saveDraftsNow() {
  for (const flush of composerFlushes) flush()
  return savesOnTheWire.size > 0
}

/** Resolves once the draft saves on the wire are answered (or failed), or after `within` ms. */
export function draftSavesAnswered(within: number) {
  const answered = Promise.allSettled([...savesOnTheWire]).then(() => undefined)
  return Promise.race([answered, new Promise<undefined>((resolve) => setTimeout(resolve, within))])
}

/**
 * Another tab or device saved other text as this draft since this composer last saw it: the save
 * was refused (409) or a `draft.saved` event said so. `revision`: the draft's now, which "Keep
 * mine" saves over; `loadFailed`: "Load it" got no answer.
 */
export type DraftConflict = { revision: string; generation: number; loadFailed?: boolean }

/** The agent's draft as "Load it" reads it (the draft route's GET). */
export type LoadedDraft = {
  body: string
  kind: MessageKind
  cc: string[] | null
  bcc: string[]
  status: string | null
}

/**
 * What the server has: the text, its kind, the reply's CC, BCC and status choice, and the
 * translation mark it was saved with (none: null).
 */
type Saved = {
  body: string
  kind: MessageKind
  fields: DraftFieldsShown
  translation?: { original: string; language: string; text: string } | null
}

/** A refused save's field errors (a bad CC or BCC address, a text too long), by field name. */
export type DraftRefusal = Record<string, string[] | null | undefined>

/** The form post of a draft save: the text, its kind and what the reply's fields show. */
function draftPost(next: Saved, generation: number, revision: string) {
  const { cc, bcc, status } = next.fields
  return {
    body: next.body,
    kind: next.kind,
    generation: String(generation),
    // What this composer last saw of the draft: a save over another tab's newer text is refused.
    revision,
    writer: PAGE_ID,
    // Without `ccShown` the draft follows the ticket's CC list; with it, this list is the agent's.
    ...(cc === null ? {} : { ccShown: '1', cc }),
    bcc,
    status,
  }
}

/**
 * Saves the composer's text as a server-side draft (POST to the ticket's draft route): 1 s after
 * the agent stops typing, and with `keepalive` when the page is hidden or the composer goes away,
 * so a closed tab or a navigation keeps the words, and when the browser comes back online after
 * saves failed. Only changes are sent. Each save carries the
 * draft generation the page was given: a send advances it on the server, so a save already on the
 * wire when Send was pressed is answered `{ ignored: true, generation }` (200, not an error)
 * instead of bringing the sent text back; the composer then saves what it shows under the server's
 * generation, unless a send from here is under way (the case of an Undo send in another tab, whose
 * restore advanced the generation without an event reaching this one). `sending()` is called when a send starts: no new save may race it
 * (the composer unmounts with the sent text); `sendAnswered()` saves again after a send that
 * failed. When the server's draft is emptied elsewhere (a `draft.cleared` event: this agent sent,
 * or emptied the text, in another tab), what this composer shows is saved again, under the
 * event's generation: it no longer matches what the server holds, so it would otherwise be lost on
 * a reload.
 */
export function useDraftAutosave({
  url,
  ticketId,
  userId,
  bodyRef,
  kind,
  fields,
  initial,
  generation,
  revision = null,
  translation = null,
  onRestore,
  onLoad,
}: {
  url: string
  ticketId: string
  /** The signed-in agent: with the ticket, the key of this browser's copy (draft-backup.ts). */
  userId: string
  bodyRef: RefObject<HTMLTextAreaElement | null>
  kind: MessageKind
  /**
   * What the reply's CC, BCC and status fields show now (kept by the composer as they change:
   * the fields are gone when a note is written, and when the composer unmounts).
   */
  fields: () => DraftFieldsShown
  /** What the server holds now (the restored draft, or nothing). */
  initial: Saved | null
  /** The server's draft generation when the page loaded. */
  generation: number
  /** The revision of the draft the page shows (null: none). */
  revision?: string | null
  /**
   * The text is an AI translation the agent has not restored: each save carries its original and
   * language, and the server keeps them with the draft (a save without them drops them). What the
   * composer shows, not "keep what is stored": a save from before the translation that landed
   * after it would otherwise have dropped the original for good.
   */
  translation?: { original: string; language: string; text: string } | null
  /** Puts text and fields kept in this browser, never saved, back into the composer (as if typed). */
  onRestore: (backup: DraftBackup) => void
  /** Puts the draft another tab or device saved into the composer ("Load it"). */
  onLoad: (draft: LoadedDraft | null) => void
}) {
  const owner = `${userId}:${ticketId}`
  const currentGeneration = useRef(generation)
  // A newer page (after a send or an Undo send) brings a newer generation; an event may have too.
  currentGeneration.current = Math.max(currentGeneration.current, generation)
  // The draft revision this composer has seen: only its own saves' answers, "Load it" and "Keep
  // mine" change it, never a newer page's data (that would write over text nobody here has seen).
  const currentRevision = useRef(revision ?? 'none')
  const [conflict, setConflict] = useState<DraftConflict | null>(null)
  const conflictRef = useRef<DraftConflict | null>(null)
  conflictRef.current = conflict
  const saved = useRef<Saved>(initial ?? { body: '', kind, fields: fields() })
  const initialRef = useRef(initial)
  initialRef.current = initial
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const latest = useRef({ url, kind, translation, fields })
  latest.current = { url, kind, translation, fields }
  // A save refused for a field (a bad address): the composer says so by the field.
  const [refused, setRefused] = useState<DraftRefusal | null>(null)
  // The textarea itself: React clears `bodyRef` before the unmount cleanup runs, and leaving the
  // ticket inside the app is exactly when its last words must still be read and sent.
  const textarea = useRef<HTMLTextAreaElement | null>(null)
  useEffect(() => {
    textarea.current = bodyRef.current ?? textarea.current
  })

  // A send from this composer is under way: its own draft deletion is no news to it.
  const inFlight = useRef(false)
  const flushRef = useRef<(() => void) | undefined>(undefined)

  const flush = useCallback(
    (keepalive = false, target = latest.current.url) => {
      clearTimeout(timer.current)
      timer.current = undefined
      const element = bodyRef.current ?? textarea.current
      if (!element || !target) return
      // Until the agent chooses ("Load it" or "Keep mine"), nothing is saved over the other text;
      // this browser keeps what is typed here.
      if (conflictRef.current) return
      const { translation } = latest.current
      const next: Saved = {
        body: element.value,
        kind: latest.current.kind,
        fields: latest.current.fields(),
        translation,
      }
      // The same text saved again when only its translation mark went ("Not a translation any more").
      const sameMark = next.body === '' || translation === (saved.current.translation ?? null)
      // Without text there is no draft: its kind and fields are not saved alone.
      const sameRest =
        next.body === '' ||
        (next.kind === saved.current.kind && sameFields(next.fields, saved.current.fields))
      if (next.body === saved.current.body && sameRest && sameMark) return
      const previous = saved.current
      saved.current = next
      const save = fetch(target, {
        method: 'POST',
        body: new URLSearchParams({
          ...draftPost(next, currentGeneration.current, currentRevision.current),
          // The server keeps the mark only while the text derives from the model's (translationOf).
          ...(translation
            ? {
                translatedFrom: translation.original,
                translationLanguage: translation.language,
                translationText: translation.text,
              }
            : {}),
        }),
        keepalive,
        credentials: 'same-origin',
      }).then(
        (response) => {
          if (response.status === 409) {
            if (saved.current === next) saved.current = previous
            void response.json().then(
              (answer: { stale?: boolean; revision?: string | null; generation?: number }) => {
                if (!answer.stale || !answer.revision || typeof answer.generation !== 'number') return
                const theirs = { revision: answer.revision, generation: answer.generation }
                conflictRef.current = theirs
                setConflict(theirs)
              },
              () => {},
            )
            return
          }
          if (!response.ok) {
            if (saved.current === next) saved.current = previous
            // Refused for a field: said by the field; the typing stays, here and in this browser.
            if (response.status === 400) {
              void response.json().then(
                (answer: { error?: DraftRefusal }) => {
                  if (saved.current === previous && answer.error) setRefused(answer.error)
                },
                () => {},
              )
            }
            return
          }
          if (saved.current === next) setRefused(null)
          // 204: saved. This browser's copy is no longer needed unless more was typed since.
          if (response.status === 204) {
            currentRevision.current = response.headers.get('Draft-Revision') ?? 'none'
            dropDraftBackup(
              owner,
              (b) => b.body === next.body && b.kind === next.kind && sameFields(b, next.fields),
            )
            // More typed since: kept, over the text this composer has just saved.
            const kept = readDraftBackup(owner)
            if (kept) writeDraftBackup(owner, { ...kept, revision: currentRevision.current })
            return
          }
          void response.json().then(
            (answer: { ignored?: boolean; generation?: number; revision?: string | null }) => {
              if (!answer.ignored || typeof answer.generation !== 'number') return
              currentRevision.current = answer.revision ?? 'none'
              // Refused as older than the server's draft (sent, or restored by an Undo send in
              // another tab, since): take the server's generation, and save what this composer
              // shows under it, unless a send from here is under way (its text is exactly what
              // must not come back as a draft).
              currentGeneration.current = Math.max(currentGeneration.current, answer.generation)
              if (saved.current !== next || inFlight.current) return
              // The copy kept in this browser belongs to that generation now too.
              const kept = readDraftBackup(owner)
              if (kept) {
                writeDraftBackup(owner, {
                  ...kept,
                  generation: currentGeneration.current,
                  revision: currentRevision.current,
                })
              }
              // Nothing a textarea can hold: the next flush sends what it shows.
              saved.current = { body: '\u0000', kind: next.kind, fields: next.fields }
              clearTimeout(timer.current)
              timer.current = setTimeout(() => flushRef.current?.(), SAVE_DEBOUNCE_MS)
            },
            () => {},
          )
        },
        () => {
          // Offline: the next keystroke or leaving the page tries again.
          if (saved.current === next) saved.current = previous
        },
      )
      savesOnTheWire.add(save)
      void save.finally(() => savesOnTheWire.delete(save))
    },
    [bodyRef, owner],
  )

  flushRef.current = () => flush()
  useEffect(() => {
    const saveNow = () => flush()
    composerFlushes.add(saveNow)
    return () => {
      composerFlushes.delete(saveNow)
    }
  }, [flush])

  const changed = useCallback(() => {
    const element = bodyRef.current
    if (element) {
      writeDraftBackup(owner, {
        body: element.value,
        kind: latest.current.kind,
        generation: currentGeneration.current,
        revision: currentRevision.current,
        ...latest.current.fields(),
      })
    }
    clearTimeout(timer.current)
    timer.current = setTimeout(() => flush(), SAVE_DEBOUNCE_MS)
  }, [flush, bodyRef, owner])

  // Text typed here that the server never got (offline, then the page was left or failed): back
  // into the composer, and saved, when this ticket opens again with the same draft generation.
  const [restored, setRestored] = useState(false)
  const restore = useRef(onRestore)
  restore.current = onRestore
  useEffect(() => {
    if (!latest.current.url) return
    const backup = readDraftBackup(owner)
    const serverBody = initialRef.current?.body ?? ''
    const serverFields = initialRef.current?.fields ?? saved.current.fields
    const shown = bodyRef.current?.value ?? serverBody
    const verdict = backupToRestore(backup, {
      generation: currentGeneration.current,
      serverBody,
      serverFields,
      shown,
    })
    if (verdict === 'drop') dropDraftBackup(owner)
    if (verdict !== 'restore' || !backup) return
    // Saved over the revision it was typed over: when another tab or device saved since, the
    // save is refused as stale and the composer asks, instead of writing over that text.
    if (backup.revision !== undefined) currentRevision.current = backup.revision
    restore.current(backup)
    setRestored(true)
    // Only this mount's page: a later composer of the same ticket starts from what the server has.
  }, [owner, bodyRef])

  const sending = useCallback(() => {
    clearTimeout(timer.current)
    timer.current = undefined
    inFlight.current = true
    saved.current = {
      body: bodyRef.current?.value ?? '',
      kind: latest.current.kind,
      fields: latest.current.fields(),
    }
  }, [bodyRef])
  const sendAnswered = useCallback(() => {
    inFlight.current = false
    flush()
  }, [flush])

  const { socket } = useLive()
  useEffect(() => {
    if (!socket) return
    const onEvent = (event: WorkspaceEvent) => {
      if (event.ticketId !== ticketId || inFlight.current) return
      if (event.type === 'draft.saved') {
        // Another tab or device saved other text: say so now, not at this tab's next save.
        if (event.writer === PAGE_ID || event.revision === currentRevision.current) return
        const theirs = { revision: event.revision, generation: event.generation }
        conflictRef.current = theirs
        setConflict(theirs)
        return
      }
      if (event.type !== 'draft.cleared') return
      // No other text to keep: what this composer shows is saved.
      conflictRef.current = null
      setConflict(null)
      saved.current = { body: '', kind: latest.current.kind, fields: latest.current.fields() }
      currentGeneration.current = Math.max(currentGeneration.current, event.generation)
      flush()
    }
    socket.on('ticket-event', onEvent)
    return () => {
      socket.off('ticket-event', onEvent)
    }
  }, [socket, ticketId, flush])

  // A changed kind (reply ↔ note) is part of the draft too.
  useEffect(() => {
    if (bodyRef.current?.value) changed()
  }, [kind, changed, bodyRef])

  useEffect(() => {
    const onHide = () => {
      if (document.visibilityState === 'hidden') flush(true)
    }
    const onPageHide = () => flush(true)
    // Back online: what was typed while the saves failed is saved now, not at the next keystroke.
    const onOnline = () => flush()
    document.addEventListener('visibilitychange', onHide)
    window.addEventListener('pagehide', onPageHide)
    window.addEventListener('online', onOnline)
    return () => {
      document.removeEventListener('visibilitychange', onHide)
      window.removeEventListener('pagehide', onPageHide)
      window.removeEventListener('online', onOnline)
    }
  }, [flush])

  // Leaving the ticket inside the app (a link, Back, j/k): save what is not saved yet, to the
  // ticket it was written for. The page keys the composer by ticket, so it unmounts then; a
  // composer kept across a change of URL would flush to the old URL too, and then start from what
  // the server holds for the new one.
  useEffect(() => {
    const target = url
    return () => {
      flush(true, target)
      saved.current = initialRef.current ?? {
        body: '',
        kind: latest.current.kind,
        fields: latest.current.fields(),
      }
    }
  }, [url, flush])

  // "Keep mine": what this composer shows is saved over the other text, knowingly.
  const keepMine = useCallback(() => {
    const theirs = conflictRef.current
    if (!theirs) return
    currentRevision.current = theirs.revision
    currentGeneration.current = Math.max(currentGeneration.current, theirs.generation)
    conflictRef.current = null
    setConflict(null)
    // Nothing a textarea can hold: the flush sends what it shows.
    saved.current = { body: '\u0000', kind: latest.current.kind, fields: latest.current.fields() }
    flush()
  }, [flush])

  // "Load it": the draft as the server has it now replaces what this composer shows (which this
  // browser keeps until then).
  const load = useRef(onLoad)
  load.current = onLoad
  const loadTheirs = useCallback(() => {
    const target = latest.current.url
    if (!target || !conflictRef.current) return
    fetch(target, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(async (response) => {
        if (!response.ok) throw new Error(`draft not loaded: ${response.status}`)
        return (await response.json()) as {
          draft: LoadedDraft | null
          generation: number
          revision: string | null
        }
      })
      .then(
        (answer) => {
          currentRevision.current = answer.revision ?? 'none'
          currentGeneration.current = Math.max(currentGeneration.current, answer.generation)
          conflictRef.current = null
          setConflict(null)
          const fields: DraftFieldsShown = {
            cc: answer.draft?.cc ? answer.draft.cc.join(', ') : null,
            bcc: (answer.draft?.bcc ?? []).join(', '),
            status: answer.draft?.status ?? '',
          }
          saved.current = {
            body: answer.draft?.body ?? '',
            kind: answer.draft?.kind ?? latest.current.kind,
            fields,
          }
          load.current(answer.draft)
          dropDraftBackup(owner)
        },
        () => {
          const theirs = conflictRef.current
          if (theirs) setConflict({ ...theirs, loadFailed: true })
        },
      )
  }, [owner])

  return { changed, sending, sendAnswered, restored, refused, conflict, keepMine, loadTheirs }
}
