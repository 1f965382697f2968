import { useNavigation } from '@remix-run/react'
import { useCallback, useRef, useState, type RefObject } from 'react'
import { Button } from '#app/components/ui/button.tsx'
import { AI_MESSAGES } from '#app/ai/features.ts'
import { languageName } from '#app/ai/triage-vocabulary.ts'
import { focusIsLost } from '#app/utils/focus.ts'
import { derivesFromTranslation } from '#app/utils/translation-mark.ts'
import { useHydrated } from '#app/utils/use-hydrated.ts'
import { AiNotice, useAiError } from './ai-notice.tsx'

/**
 * A reply the composer shows as an AI translation: the agent's own text, its language, and the
 * model's translation as it came (the text must still be derived from it to stay marked).
 */
export type ReplyTranslationState = { original: string; language: string; text: string }

/**
 * The composer's mark that its text is an AI translation. It goes when the agent restores their
 * original, chooses "Not a translation any more", or changes the text so that it no longer derives
 * from the translation (derivesFromTranslation: select all and type, paste over it, empty it):
 * until 2026-12-08 it stayed until Restore original, so a reply written anew went with a note
 * saying it was translated by AI, and Translate refused it ("already translated"). `dropped`: the
 * mark went without Restore original, which the composer says.
 */
export function useTranslationMark(initial: ReplyTranslationState | null) {
  const [translation, setTranslation] = useState(initial)
  const [dropped, setDropped] = useState(false)
  // What the text is checked against at once: `show` puts the translation in through an input
  // event, before React has rendered the new state.
  const current = useRef(initial)
  const set = useCallback((next: ReplyTranslationState | null, droppedNow = false) => {
    current.current = next
    setTranslation(next)
    setDropped(droppedNow)
  }, [])
  const textChanged = useCallback(
    (text: string) => {
      const shown = current.current
      if (shown && !derivesFromTranslation(text, shown.text)) set(null, true)
    },
    [set],
  )
  return { translation, dropped, set, textChanged, drop: () => set(null, true) }
}

/** What the composer lends its AI tools for a translation: what it shows, and where to show one. */
export type ReplyTranslationControl = {
  /** The composer's text is a translation already (maybe edited): of this original, into this language. */
  shown: ReplyTranslationState | null
  /** The translation arrived: the composer shows it in place of the text, the original kept. */
  show: (text: string, translation: ReplyTranslationState) => void
}

type Props = {
  slug: string
  number: number
  /** The customer's language: ISO 639-1 code and its name. */
  language: string
  languageName: string
  bodyRef: RefObject<HTMLTextAreaElement | null>
  control: ReplyTranslationControl
}

/**
 * Inside the composer: "Translate to <language>" puts the agent's reply, translated into the
 * customer's language by AI, in the composer for them to review; nothing is sent until they press
 * Send. With JavaScript it is a `fetch` whose answer replaces the text (the original kept and
 * restorable); a failure, offline too, is said here and the text stays. Without JavaScript it
 * submits the composer's form to the translation route (the button's formAction), which saves the
 * translation as the agent's draft and comes back to the ticket.
 */
export function TranslatedReplyButton({ slug, number, language, languageName, bodyRef, control }: Props) {
  const hydrated = useHydrated()
  const navigation = useNavigation()
  const redirectedError = useAiError('reply')
  const [pending, setPending] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const controls = useRef<HTMLDivElement>(null)
  const action = `/w/${slug}/tickets/${number}/ai/translated-reply`
  const submitting = navigation.state !== 'idle' && navigation.formAction === action

  async function translate() {
    const textarea = bodyRef.current
    if (!textarea || pending) return
    if (!textarea.value.trim()) {
      setError('Write your reply first, then translate it.')
      return
    }
    // The text is the model's words (maybe edited): translated again, they would become "your
    // original". The server refuses it too (the page without JavaScript posts the same fields).
    const shown = control.shown
    if (shown?.language === language) {
      setError(AI_MESSAGES.replyAlreadyTranslated)
      return
    }
    setPending(true)
    setError(null)
    const sent = textarea.value
    const form = new URLSearchParams({
      body: sent,
      replyLanguage: language,
      ...(shown
        ? { translatedFrom: shown.original, translationLanguage: shown.language, translationText: shown.text }
        : {}),
    })
    let shownNow = false
    try {
      const response = await fetch(action, {
        method: 'POST',
        body: form,
        headers: { accept: 'application/json' },
        credentials: 'same-origin',
      })
      const answer = (await response.json().catch(() => null)) as {
        text?: unknown
        original?: unknown
        error?: unknown
      } | null
      if (!response.ok || typeof answer?.text !== 'string' || typeof answer.original !== 'string') {
        setError(typeof answer?.error === 'string' ? answer.error : AI_MESSAGES.noSuggestion)
      } else if (bodyRef.current !== textarea || textarea.value !== sent) {
        // Typed on (or sent) while the model worked: their newer words are not replaced by a
        // translation of the older ones.
        setError(AI_MESSAGES.replyChangedWhileTranslating)
      } else {
        control.show(answer.text, { original: answer.original, language, text: answer.text })
        shownNow = true
      }
    } catch {
      // Offline, or the connection dropped: nothing changed, the agent's text stays.
      setError('Not translated: Switchboard could not be reached. Your text is unchanged; try again.')
    } finally {
      setPending(false)
    }
    // Not shown: the button, disabled while it waited (focus fell to <body>), takes focus back,
    // next to what it says.
    if (!shownNow) {
      requestAnimationFrame(() => {
        if (focusIsLost()) controls.current?.querySelector('button')?.focus()
      })
    }
  }

  return (
    <div ref={controls} className="flex flex-wrap items-center gap-2 text-sm">
      {hydrated ? (
        <Button type="button" variant="secondary" pending={pending} onClick={() => void translate()}>
          {`Translate to ${languageName}`}
        </Button>
      ) : (
        <>
          <input type="hidden" name="replyLanguage" value={language} />
          <Button
            type="submit"
            variant="secondary"
            formAction={action}
            formMethod="post"
            pending={submitting}
          >
            {`Translate to ${languageName}`}
          </Button>
        </>
      )}
      <span className="text-xs text-slate-500 dark:text-slate-400">
        AI translates your reply here for you to review; nothing is sent until you press Send.
      </span>
      <AiNotice message={error ?? redirectedError} />
    </div>
  )
}

/**
 * Above the composer's text while it is an AI translation: says so, shows the agent's original
 * (and with JavaScript offers it back, or to drop the mark), and posts the original and the
 * model's translation with the reply, so the send keeps the original as an internal note (while
 * the text is still the translation: translationOf).
 */
export function TranslationReview({
  translation,
  onRestore,
  onDrop,
}: {
  translation: ReplyTranslationState
  /** With JavaScript: put the original back in the composer. */
  onRestore?: () => void
  /** With JavaScript: keep the text, as the agent's own (no note when it is sent). */
  onDrop?: () => void
}) {
  const name = languageName(translation.language) ?? translation.language
  return (
    <div
      role="status"
      className="space-y-1 rounded-md border border-sky-300 bg-sky-50 p-2 text-sm text-sky-950 dark:border-sky-800 dark:bg-sky-950 dark:text-sky-100"
      data-testid="translation-review"
    >
      <input type="hidden" name="translatedFrom" value={translation.original} />
      <input type="hidden" name="translationLanguage" value={translation.language} />
      <input type="hidden" name="translationText" value={translation.text} />
      <p>
        {`This reply is an AI translation into ${name}: review it before you send. Your original is kept, and added as an internal note when you send. Replace it with your own words (less than half of its words still the translation's) and it is your own reply, with no note.`}
      </p>
      <div className="flex flex-wrap items-start gap-2">
        <details className="min-w-0 flex-1">
          <summary className="cursor-pointer text-xs">Your original</summary>
          {/* The agent's own text: rendered as text (React escapes it). */}
          <p className="mt-1 break-words whitespace-pre-wrap" data-testid="translation-original">
            {translation.original}
          </p>
        </details>
        {onRestore ? (
          <Button type="button" variant="secondary" onClick={onRestore}>
            Restore original
          </Button>
        ) : null}
        {onDrop ? (
          <Button type="button" variant="secondary" onClick={onDrop}>
            Not a translation any more
          </Button>
        ) : null}
      </div>
    </div>
  )
}

/** In place of the review line once the agent's text stopped being the translation. */
export function TranslationDropped() {
  return (
    <p role="status" className="text-sm text-slate-600 dark:text-slate-300" data-testid="translation-dropped">
      No longer marked as an AI translation: this reply is your own text, and no note is added when you send
      it.
    </p>
  )
}
