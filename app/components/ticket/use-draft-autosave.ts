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
function draftPost(next: Saved, generation: number) {
  const { cc, bcc, status } = next.fields
  return {
    body: next.body,
    kind: next.kind,
    generation: String(generation),
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
  translation = null,
  onRestore,
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
  /**
   * The text is an AI translation the agent has not restored: each save carries its original and
   * language, and the server keeps them with the draft (a save without them drops them). What the
   * composer shows, not "keep what is stored": a save from before the translation that landed
   * after it would otherwise have dropped the original for good.
   */
  translation?: { original: string; language: string; text: string } | null
  /** Puts text and fields kept in this browser, never saved, back into the composer (as if typed). */
  onRestore: (backup: DraftBackup) => void
}) {
  const owner = `${userId}:${ticketId}`
  const currentGeneration = useRef(generation)
  // A newer page (after a send or an Undo send) brings a newer generation; an event may have too.
  currentGeneration.current = Math.max(currentGeneration.current, generation)
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
      fetch(target, {
        method: 'POST',
        body: new URLSearchParams({
          ...draftPost(next, currentGeneration.current),
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
            dropDraftBackup(
              owner,
              (b) => b.body === next.body && b.kind === next.kind && sameFields(b, next.fields),
            )
            return
          }
          void response.json().then(
            (answer: { ignored?: boolean; generation?: number }) => {
              if (!answer.ignored || typeof answer.generation !== 'number') return
              // Refused as older than the server's draft (sent, or restored by an Undo send in
              // another tab, since): take the server's generation, and save what this composer
              // shows under it, unless a send from here is under way (its text is exactly what
              // must not come back as a draft).
              currentGeneration.current = Math.max(currentGeneration.current, answer.generation)
              if (saved.current !== next || inFlight.current) return
              // The copy kept in this browser belongs to that generation now too.
              const kept = readDraftBackup(owner)
              if (kept) writeDraftBackup(owner, { ...kept, generation: currentGeneration.current })
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
    },
    [bodyRef, owner],
  )

  flushRef.current = () => flush()

  const changed = useCallback(() => {
    const element = bodyRef.current
    if (element) {
      writeDraftBackup(owner, {
        body: element.value,
        kind: latest.current.kind,
        generation: currentGeneration.current,
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
      if (event.type !== 'draft.cleared' || event.ticketId !== ticketId || inFlight.current) return
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

  return { changed, sending, sendAnswered, restored, refused }
}
