import { Link } from '@remix-run/react'
import { useEffect, useRef, useState, type RefObject } from 'react'
import { Button } from '#app/components/ui/button.tsx'
import {
  AI_LANGUAGES,
  AI_MESSAGES,
  REWRITE_LABEL,
  REWRITE_MODES,
  type RewriteMode,
} from '#app/ai/features.ts'
import { useHydrated } from '#app/utils/use-hydrated.ts'
import { AI_INSTRUCTION_MAX } from '#app/ai/schemas.ts'

type Availability = 'ok' | 'not-configured' | 'disabled' | 'budget'

type Props = {
  slug: string
  number: number
  bodyRef: RefObject<HTMLTextAreaElement | null>
  assist: { draft: Availability; rewrite: Availability; canConfigure: boolean }
}

/** Sets the textarea's value the way typing does, so Conform and the typing indicator see it. */
function setText(textarea: HTMLTextAreaElement, value: string) {
  const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set
  setter?.call(textarea, value)
  textarea.dispatchEvent(new Event('input', { bubbles: true }))
}

/** Splits a Server-Sent Events buffer into complete events; returns them and the unfinished rest. */
function takeEvents(buffer: string) {
  const events: Array<{ event: string; data: unknown }> = []
  let rest = buffer
  for (let end = rest.indexOf('\n\n'); end >= 0; end = rest.indexOf('\n\n')) {
    const raw = rest.slice(0, end)
    rest = rest.slice(end + 2)
    let event = 'message'
    let data = ''
    for (const line of raw.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7)
      else if (line.startsWith('data: ')) data += line.slice(6)
    }
    try {
      events.push({ event, data: data ? JSON.parse(data) : null })
    } catch {
      // Not ours: ignore.
    }
  }
  return { events, rest }
}

async function errorOf(response: Response) {
  const body = (await response.json().catch(() => null)) as { error?: unknown } | null
  return typeof body?.error === 'string' ? body.error : AI_MESSAGES.noSuggestion
}

/**
 * The composer's AI tools: "Draft reply" streams a draft into the textarea token by token (the
 * agent can type while it arrives, and Cancel stops it and the upstream call); "Rewrite" shows
 * the agent's text rewritten as a preview with Accept / Discard. Both need JavaScript. When AI
 * is not configured (or the budget is spent) one short hint replaces all of it.
 */
export function AiComposerTools({ slug, number, bodyRef, assist }: Props) {
  const hydrated = useHydrated()
  const [streaming, setStreaming] = useState(false)
  const [hasDraft, setHasDraft] = useState(false)
  const [status, setStatus] = useState('')
  const [language, setLanguage] = useState('')
  const [useNotes, setUseNotes] = useState(false)
  const [instruction, setInstruction] = useState('')
  const [mode, setMode] = useState<RewriteMode>('grammar')
  const [rewriteLanguage, setRewriteLanguage] = useState('')
  const [rewriting, setRewriting] = useState(false)
  const [preview, setPreview] = useState<string | null>(null)
  const [firstTokenMs, setFirstTokenMs] = useState<number | null>(null)
  const abortRef = useRef<AbortController | null>(null)
  const lastDraftRef = useRef('')
  const base = `/w/${slug}/tickets/${number}/ai`

  // Leaving the page stops a draft in progress (and its upstream call).
  useEffect(() => () => abortRef.current?.abort(), [])

  const unavailable = [assist.draft, assist.rewrite]
  if (unavailable.includes('not-configured')) {
    return (
      <p className="text-sm text-slate-500 dark:text-slate-400" data-testid="ai-hint">
        {assist.canConfigure ? (
          <Link to={`/w/${slug}/settings/ai`} className="underline">
            {AI_MESSAGES.notConfigured}
          </Link>
        ) : (
          AI_MESSAGES.notConfigured
        )}
      </p>
    )
  }
  if (unavailable.includes('budget')) {
    return (
      <p className="text-sm text-slate-500 dark:text-slate-400" data-testid="ai-hint">
        {AI_MESSAGES.budgetUsed}
      </p>
    )
  }
  if (!hydrated || (assist.draft !== 'ok' && assist.rewrite !== 'ok')) return null

  async function draft(withInstruction: boolean) {
    const textarea = bodyRef.current
    if (!textarea || streaming) return
    const controller = new AbortController()
    abortRef.current = controller
    const clickedAt = performance.now()
    setStreaming(true)
    setStatus('Drafting…')
    setFirstTokenMs(null)
    const before = textarea.value
    // Replace an empty composer or our own untouched draft; otherwise add below the agent's text.
    const replacing = before.trim() === '' || before === lastDraftRef.current
    const form = new URLSearchParams()
    if (language) form.set('language', language)
    if (useNotes) form.set('useNotes', 'on')
    if (withInstruction && instruction.trim()) {
      form.set('instruction', instruction.trim())
      form.set('previousDraft', lastDraftRef.current || before)
    }
    let received = false
    let failure = ''
    try {
      const response = await fetch(`${base}/draft`, {
        method: 'POST',
        body: form,
        signal: controller.signal,
        headers: { accept: 'text/event-stream' },
      })
      if (!response.ok || !response.body) {
        failure = await errorOf(response)
        return
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        const taken = takeEvents(buffer + value)
        buffer = taken.rest
        for (const { event, data } of taken.events) {
          const payload = (data ?? {}) as { text?: unknown; message?: unknown }
          if (event === 'delta' && typeof payload.text === 'string') {
            if (!received) {
              received = true
              setFirstTokenMs(Math.round(performance.now() - clickedAt))
              setText(textarea, replacing ? '' : `${textarea.value.replace(/\s+$/, '')}\n\n`)
            }
            // Appended at the end: whatever the agent edits meanwhile stays.
            setText(textarea, textarea.value + payload.text)
          } else if (event === 'error') {
            failure = typeof payload.message === 'string' ? payload.message : AI_MESSAGES.noSuggestion
          }
        }
      }
    } catch {
      failure = controller.signal.aborted ? 'Draft stopped.' : AI_MESSAGES.noSuggestion
    } finally {
      abortRef.current = null
      setStreaming(false)
      if (received) {
        lastDraftRef.current = textarea.value
        setHasDraft(true)
      }
      setStatus(
        failure || (received ? 'Draft ready: review and edit it before sending.' : AI_MESSAGES.noSuggestion),
      )
    }
  }

  async function rewrite() {
    const textarea = bodyRef.current
    if (!textarea || rewriting) return
    if (!textarea.value.trim()) {
      setStatus('Write something first, then rewrite it.')
      return
    }
    if (mode === 'translate' && !rewriteLanguage) {
      setStatus('Choose a language to translate to.')
      return
    }
    setRewriting(true)
    setPreview(null)
    setStatus('Rewriting…')
    const form = new URLSearchParams({ mode, text: textarea.value })
    if (mode === 'translate') form.set('language', rewriteLanguage)
    try {
      const response = await fetch(`${base}/rewrite`, { method: 'POST', body: form })
      if (!response.ok) {
        setStatus(await errorOf(response))
        return
      }
      const body = (await response.json()) as { text?: unknown }
      if (typeof body.text !== 'string') {
        setStatus(AI_MESSAGES.noSuggestion)
        return
      }
      setPreview(body.text)
      setStatus('')
    } catch {
      setStatus(AI_MESSAGES.noSuggestion)
    } finally {
      setRewriting(false)
    }
  }

  const selectClass =
    'rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900'
  return (
    <div
      className="space-y-2 rounded-md border border-dashed border-slate-300 p-2 text-sm dark:border-slate-700"
      data-testid="ai-tools"
      data-first-token-ms={firstTokenMs ?? undefined}
    >
      {assist.draft === 'ok' ? (
        <div className="flex flex-wrap items-center gap-2">
          {streaming ? (
            <Button type="button" variant="secondary" onClick={() => abortRef.current?.abort()}>
              Cancel draft
            </Button>
          ) : (
            <Button type="button" variant="secondary" onClick={() => void draft(false)}>
              Draft reply
            </Button>
          )}
          <label className="flex items-center gap-1">
            <span className="sr-only">Draft language</span>
            <select
              value={language}
              onChange={(e) => setLanguage(e.currentTarget.value)}
              className={selectClass}
            >
              <option value="">Customer’s language</option>
              {AI_LANGUAGES.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </label>
          {/* At least 24 px tall, the checkbox 16 px: the whole label is the target (WCAG 2.5.8). */}
          <label className="flex min-h-6 items-center gap-1">
            <input
              type="checkbox"
              className="size-4"
              checked={useNotes}
              onChange={(e) => setUseNotes(e.currentTarget.checked)}
            />
            Use internal notes
          </label>
          {hasDraft ? (
            <span className="flex items-center gap-1">
              <label htmlFor="ai-instruction" className="sr-only">
                Instruction for a new draft
              </label>
              <input
                id="ai-instruction"
                value={instruction}
                onChange={(e) => setInstruction(e.currentTarget.value)}
                placeholder="e.g. shorter, more formal"
                maxLength={AI_INSTRUCTION_MAX}
                className="w-48 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900"
              />
              <Button
                type="button"
                variant="secondary"
                disabled={streaming || !instruction.trim()}
                onClick={() => void draft(true)}
              >
                Regenerate
              </Button>
            </span>
          ) : null}
        </div>
      ) : null}
      {assist.rewrite === 'ok' ? (
        <div className="flex flex-wrap items-center gap-2">
          <label className="flex items-center gap-1">
            <span className="sr-only">Rewrite how</span>
            <select
              value={mode}
              onChange={(e) => setMode(e.currentTarget.value as RewriteMode)}
              className={selectClass}
            >
              {REWRITE_MODES.map((m) => (
                <option key={m} value={m}>
                  {REWRITE_LABEL[m]}
                </option>
              ))}
            </select>
          </label>
          {mode === 'translate' ? (
            <label className="flex items-center gap-1">
              <span className="sr-only">Translate to</span>
              <select
                value={rewriteLanguage}
                onChange={(e) => setRewriteLanguage(e.currentTarget.value)}
                className={selectClass}
              >
                <option value="">Choose a language…</option>
                {AI_LANGUAGES.map((l) => (
                  <option key={l} value={l}>
                    {l}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <Button type="button" variant="secondary" disabled={rewriting} onClick={() => void rewrite()}>
            Rewrite
          </Button>
        </div>
      ) : null}
      {preview !== null ? (
        <div
          className="space-y-2 rounded-md bg-slate-50 p-2 dark:bg-slate-900"
          role="region"
          aria-label="Rewrite preview"
        >
          {/* Model output is text: React escapes it; nothing in it is rendered as HTML or Markdown. */}
          <p className="break-words whitespace-pre-wrap" data-testid="ai-preview">
            {preview}
          </p>
          <div className="flex gap-2">
            <Button
              type="button"
              onClick={() => {
                if (bodyRef.current) setText(bodyRef.current, preview)
                setPreview(null)
              }}
            >
              Accept
            </Button>
            <Button type="button" variant="secondary" onClick={() => setPreview(null)}>
              Discard
            </Button>
          </div>
        </div>
      ) : null}
      <p
        aria-live="polite"
        className="min-h-5 text-xs text-slate-600 dark:text-slate-400"
        data-testid="ai-status"
      >
        {status}
      </p>
    </div>
  )
}
