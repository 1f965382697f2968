import {
  getFormProps,
  getInputProps,
  getTextareaProps,
  useForm,
  type SubmissionResult,
} from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod/v4'
import { useFetcher, useLocation } from '@remix-run/react'
import {
  useCallback,
  useEffect,
  useRef,
  useState,
  type ChangeEvent,
  type ReactNode,
  type RefObject,
} from 'react'
import { LiveSocketField } from '#app/components/live/live-socket-field.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { FormErrors } from '#app/components/ui/field.tsx'
import { fillPlaceholders, insertAtSelection, type CannedContext } from '#app/utils/canned.ts'
import { focusIsLost, focusMainContent, focusToWrite } from '#app/utils/focus.ts'
import { formatBytes } from '#app/utils/format.ts'
import { ComposerSchema, COPY_LIST_MAX, type MessageKind } from '#app/utils/ticket-page-schemas.ts'
import { isBlockedFilename, isBlockedType, MAX_FILES, MAX_TOTAL_BYTES } from '#app/utils/ticket-schemas.ts'
import { STATUS_LABEL, TICKET_STATUSES, type TicketStatus } from '#app/utils/vocabulary.ts'
import { useShortcuts } from '#app/utils/use-shortcuts.ts'
import { useHydrated } from '#app/utils/use-hydrated.ts'
import { useReloadWhenRedirectDropped } from '#app/components/use-kept-post.ts'
import { RelativeTime } from '#app/components/queue/relative-time.tsx'
import {
  TranslationDropped,
  TranslationReview,
  useTranslationMark,
  type ReplyTranslationControl,
  type ReplyTranslationState,
} from '#app/components/ai/translated-reply-button.tsx'
import { addressesOf, type DraftBackup, type DraftFieldsShown } from './draft-backup.ts'
import { MentionAutocomplete } from './mention-autocomplete.tsx'
import { useDraftAutosave } from './use-draft-autosave.ts'

export type CollidingMessage = {
  id: string
  kind: MessageKind
  author: string
  bodyText: string
  createdAt: Date
  /** A reply in its sender's undo window: not in the thread yet, and it may still be undone. */
  sending?: boolean
  /** False for an email from someone neither the customer nor CC'd. */
  fromParticipant?: boolean
}

type Props = {
  /** Its draft.cleared events (another tab of this agent sent or emptied it) come to this composer. */
  ticketId: string
  /** The signed-in agent (with the ticket, the key of the text this browser keeps until saved). */
  userId: string
  /** The newest message the page shows: the server compares it with the thread on send. */
  latestMessageId: string | undefined
  currentStatus: TicketStatus
  /** The ticket's CC list, copied on replies (reply-all) unless the agent removes them. */
  defaultCc?: string[]
  /**
   * The mailing list the customer's latest message came through ('' unnamed), null or absent when
   * none: a reply says it goes to the customer (and the CC list) only, not to the list.
   */
  customerViaList?: string | null
  cannedResponses: Array<{ id: string; title: string; body: string }>
  cannedContext: CannedContext
  lastResult: SubmissionResult<string[]> | null | undefined
  /** Names of the files a refused post carried: not kept, to attach again (shown without JavaScript). */
  filesNotKept?: string[]
  collision: CollidingMessage[] | undefined
  /** How many more messages came before the `collision` ones (only the newest are sent). */
  collisionNotShown?: number
  /** The server's clock, for relative times that render the same on both sides. */
  now: string
  /** Called as the agent types (reply or note) and with null when they stop. */
  onTyping?: (kind: MessageKind | null) => void
  /** The agent's saved draft for this ticket (restored from any device), and where to save it. */
  draft?: {
    body: string
    kind: MessageKind
    /** An undone reply's CC (null: the ticket's), BCC, status choice and files, kept on the server. */
    cc?: string[] | null
    bcc?: string[]
    status?: TicketStatus | null
    files?: Array<{ filename: string; size: number; sha256: string }>
    /** The text is an AI translation ("Translate to <language>"): the agent's original and the language. */
    translation?: ReplyTranslationState | null
  } | null
  draftUrl?: string
  /** The draft generation the server gave this page: every save carries it (saveDraft). */
  draftGeneration?: number
  /** The revision of the agent's draft the page shows (null: none): the first save carries it. */
  draftRevision?: string | null
  /** Workspace members a note can `@mention` (suggested while typing one). */
  mentionMembers?: Array<{ userId: string; name: string }>
  /** The queue the agent came from (its query string): "Send & next" goes to its next ticket. */
  from?: string
  /**
   * AI tools shown under the textarea (app/components/ai); they write into it through the ref, and
   * a reply's translation through `translation`, which keeps the original with it.
   */
  aiTools?: (body: RefObject<HTMLTextAreaElement | null>, translation: ReplyTranslationControl) => ReactNode
  /**
   * A send went through but React Router dropped its redirect (to `#m-<id>`, which resets the
   * composer): the page reloads, and the page resets the composer once its data holds a draft
   * generation other than `sentUnder`, the one the send was made under.
   */
  onSentWithoutRedirect?: (sentUnder: number) => void
}

/**
 * The key for the page's <Composer>: it changes when a send from this tab went through (the
 * action redirects to `#m-<new message id>`), so the composer starts fresh then and only then.
 * A message of the same agent posted in another tab reloads the thread here, but must not
 * clear this tab's draft (and the collision check then counts it).
 */
export function useComposerKey() {
  const { hash } = useLocation()
  // `#undone-<id>`: an undo send restored the reply's text as the draft; start from it.
  const sent = hash.startsWith('#m-') ? hash.slice(3) : hash.startsWith('#undone-') ? hash : undefined
  const [key, setKey] = useState(sent ?? 'composer')
  // Adjusting state while rendering, from a value of the previous render (a sidebar change
  // navigates to the page without the hash: the key stays).
  if (sent && sent !== key) setKey(sent)
  return key
}

/**
 * The composer's reset after a send whose redirect React Router dropped (a live event's reload
 * started while it was on its way): the redirect's `#m-<id>` would have reset it, and without it
 * the sent text stayed in the composer, to be sent twice. The reset waits for the page's data to
 * hold a draft generation other than the one the send was made under (a send advances it), so the
 * fresh composer starts from the emptied draft, not from the sent text still in the page's data.
 * That generation is the send's, not the page's when the drop is noticed: the reload that made
 * React Router drop the redirect may have read the page after the reply was saved and ended first,
 * and then the page already has the new generation, and no later reload brings another.
 */
export function useResetAfterSentWithoutRedirect(draftGeneration: number) {
  const [waitingFor, setWaitingFor] = useState<number | null>(null)
  const [count, setCount] = useState(0)
  if (waitingFor !== null && draftGeneration !== waitingFor) {
    setWaitingFor(null)
    setCount(count + 1)
  }
  const sentWithoutRedirect = useCallback((sentUnder: number) => setWaitingFor(sentUnder), [])
  return { count, sentWithoutRedirect }
}

/** Checks the chosen files the way the server will, so the agent learns before uploading. */
function fileProblem(files: FileList | null) {
  if (!files) return ''
  if (files.length > MAX_FILES) return `Attach at most ${MAX_FILES} files`
  const blocked = Array.from(files).find((f) => isBlockedFilename(f.name) || isBlockedType(f.type))
  if (blocked) return `${blocked.name}: executable files are not allowed`
  const total = Array.from(files).reduce((sum, f) => sum + f.size, 0)
  if (total > MAX_TOTAL_BYTES) return 'Attachments are limited to 25 MB in total'
  return ''
}

/**
 * What the ticket page's action answers the composer with. `sendFailed`: the page's
 * clientAction caught a network error, a timeout or a 5xx; the form is untouched (text, CC and
 * chosen files stay) and offers Retry.
 */
export type ComposerResponse = {
  result?: SubmissionResult<string[]>
  collision?: CollidingMessage[]
  collisionNotShown?: number
  sendFailed?: true
  /** Refused: the user lost access to the workspace (or the role) since the page opened; `error` says which. */
  noAccess?: true
  error?: string
}

/**
 * Public reply or internal note, with attachments, canned responses and "send and set status".
 * A plain multipart form: everything but canned insertion-at-the-caret works without JavaScript.
 * With JavaScript it posts through a fetcher, so a failed send never leaves the page: the
 * composer keeps what was written and says so (the route's clientAction turns the failure into
 * `sendFailed`). A send that went through redirects to `#m-<id>`, which resets the composer.
 */
export function Composer(props: Props) {
  const fetcher = useFetcher<ComposerResponse>({ key: 'composer' })
  // A reply sent as a reload of the page started (a live event's): that reload may not show it.
  // The draft generation the send was made under (set as it is submitted).
  const sentUnder = useRef(props.draftGeneration ?? 0)
  const { onSentWithoutRedirect } = props
  const sentWithoutRedirect = useCallback(
    () => onSentWithoutRedirect?.(sentUnder.current),
    [onSentWithoutRedirect],
  )
  useReloadWhenRedirectDropped(fetcher, sentWithoutRedirect)
  // A keyed fetcher keeps its last answer across the remount a sent reply causes (the redirect
  // does not replace it): what it held when this composer mounted answered the previous one
  // (a collision warning would otherwise stay up after "Send anyway" went through).
  const [answerAtMount] = useState(() => fetcher.data)
  const fetched = fetcher.state === 'idle' && fetcher.data !== answerAtMount ? fetcher.data : undefined
  // A fetcher answer is newer than the page's (no-JS) action data.
  const lastResult = fetched ? fetched.result : props.lastResult
  const collision = fetched ? fetched.collision : props.collision
  const collisionNotShown = (fetched ? fetched.collisionNotShown : props.collisionNotShown) ?? 0
  const sendFailed = fetched?.sendFailed === true
  const collisionIntent = lastResult?.initialValue?.intent === 'reply-next' ? 'reply-next' : 'reply'
  const { now } = props
  const hydrated = useHydrated()
  const draft = props.draft ?? null
  const initialKind =
    lastResult?.initialValue?.kind === 'note' || (!lastResult && draft?.kind === 'note') ? 'note' : 'reply'
  const [kind, setKind] = useState<MessageKind>(initialKind)
  const [status, setStatus] = useState(
    typeof lastResult?.initialValue?.status === 'string'
      ? lastResult.initialValue.status
      : lastResult
        ? ''
        : (draft?.status ?? ''),
  )
  const [clientFileError, setClientFileError] = useState('')
  // A compact bar (the text field, the send buttons, the options folded) until the agent focuses
  // it; open from the start when there is something to show (a draft, an answer, a collision).
  const [expanded, setExpanded] = useState(
    Boolean(draft?.body || lastResult || (collision && collision.length > 0)),
  )
  const bodyRef = useRef<HTMLTextAreaElement>(null)
  // The text is an AI translation the agent is reviewing ("Translate to <language>"): their own
  // text goes with the reply (kept as a note) and can be put back. From the saved draft too (the
  // translation route saved it, with or without JavaScript). It goes once the text is no longer
  // the translation (the agent wrote their own in its place).
  const translationMark = useTranslationMark(draft?.translation ?? null)
  const { translation } = translationMark
  // The newest message the agent had seen when they started writing. Live updates may add
  // messages to the thread while they type; those must still trigger the collision check,
  // so the id only follows the thread while the draft is empty.
  const [seenMessageId, setSeenMessageId] = useState(props.latestMessageId)
  useEffect(() => {
    if (!bodyRef.current?.value.trim()) setSeenMessageId(props.latestMessageId)
  }, [props.latestMessageId])
  // "Review" after a collision: its answer comes once the page has reloaded the thread (the
  // fetcher is idle only after that reload), which the agent now has in front of them, so the
  // next send is checked against it. Before, the warning came back for the messages just
  // reviewed and only "Send anyway" could send. Once per answer: a message arriving later still
  // counts as new.
  const reviewAnswered = useRef<unknown>(undefined)
  useEffect(() => {
    if (!fetched || fetched === reviewAnswered.current) return
    if (fetched.result?.initialValue?.intent !== 'review') return
    reviewAnswered.current = fetched
    setSeenMessageId(props.latestMessageId)
    // Back to the reply, whose Review button is gone with the warning (focus fell to <body>).
    if (bodyRef.current && focusIsLost()) focusToWrite(bodyRef.current, { preventScroll: true })
  }, [fetched, props.latestMessageId])
  const { onTyping } = props
  useEffect(() => {
    // Tell the others we stopped when the composer goes away.
    return () => onTyping?.(null)
  }, [onTyping])
  const [form, fields] = useForm({
    id: 'composer',
    lastResult,
    shouldValidate: 'onSubmit',
    shouldRevalidate: 'onInput',
    defaultValue: {
      cc: (draft?.cc ?? props.defaultCc ?? []).join(', '),
      bcc: (draft?.bcc ?? []).join(', '),
      body: draft?.body ?? '',
    },
    onValidate: ({ formData }) => parseWithZod(formData, { schema: ComposerSchema }),
  })
  // The reply's CC, BCC and status as the draft keeps them, followed as they change (the fields
  // are not there while a note is written, nor when the composer unmounts and saves). The CC
  // list drawn from the ticket (no draft's own) is saved as "the ticket's" (null) until the
  // agent changes it; a list they changed is theirs, an emptied one included, so a removed
  // recipient never comes back with the draft.
  const [ticketCc] = useState(() =>
    draft?.cc === null || draft?.cc === undefined ? (props.defaultCc ?? []).join(', ') : null,
  )
  const draftFields = useRef<DraftFieldsShown>({
    cc: draft?.cc ? draft.cc.join(', ') : null,
    bcc: (draft?.bcc ?? []).join(', '),
    status: draft?.status ?? '',
  })
  const ccShown = (text: string) =>
    ticketCc !== null && addressesOf(text) === addressesOf(ticketCc) ? null : text
  const readFields = useCallback(() => draftFields.current, [])
  const submittingIntent = fetcher.state === 'submitting' ? fetcher.formData?.get('intent') : null
  const autosave = useDraftAutosave({
    url: props.draftUrl ?? '',
    ticketId: props.ticketId,
    userId: props.userId,
    bodyRef,
    kind,
    fields: readFields,
    initial: draft
      ? { body: draft.body, kind: draft.kind, fields: draftFields.current, translation: draft.translation }
      : null,
    generation: props.draftGeneration ?? 0,
    revision: props.draftRevision ?? null,
    translation: kind === 'reply' ? translation : null,
    onRestore: (backup) => putBack(backup),
    onLoad: (loaded) =>
      putBack({
        body: loaded?.body ?? '',
        kind: loaded?.kind ?? kind,
        generation: 0,
        // The ticket's list when the draft follows it.
        cc: loaded?.cc ? loaded.cc.join(', ') : null,
        bcc: (loaded?.bcc ?? []).join(', '),
        status: loaded?.status ?? '',
      }),
  })
  /** Text and fields into the composer as if typed (kept in this browser, or loaded). */
  function putBack(backup: DraftBackup) {
    const textarea = bodyRef.current
    if (!textarea) return
    setKind(backup.kind)
    setExpanded(true)
    draftFields.current = { cc: backup.cc, bcc: backup.bcc, status: backup.status }
    setStatus(backup.status)
    // The CC and BCC fields as typed (once shown: a note's kind brings them back as a reply).
    fieldsToRestore.current = backup
    setTextLikeTyping(textarea, backup.body)
  }
  const fieldsToRestore = useRef<DraftBackup | null>(null)
  useEffect(() => {
    const form = bodyRef.current?.form
    const backup = fieldsToRestore.current
    if (!form || kind !== 'reply') return
    const cc = form.elements.namedItem('cc')
    const bcc = form.elements.namedItem('bcc')
    if (!(cc instanceof HTMLInputElement) || !(bcc instanceof HTMLInputElement)) return
    if (backup) {
      fieldsToRestore.current = null
      setTextLikeTyping(cc, backup.cc ?? ticketCc ?? (props.defaultCc ?? []).join(', '))
      setTextLikeTyping(bcc, backup.bcc)
    }
    // Shown again after a note: the draft keeps what they show.
    draftFields.current = { ...draftFields.current, cc: ccShown(cc.value), bcc: bcc.value }
  })
  // An answer other than the redirect (failed, collision, refused): the reply was not stored and
  // its draft not deleted, so bring the server's copy up to date with what is in the composer.
  const { sendAnswered } = autosave
  useEffect(() => {
    if (fetched) sendAnswered()
  }, [fetched, sendAnswered])

  function focusComposer(next: MessageKind) {
    setKind(next)
    if (bodyRef.current) focusToWrite(bodyRef.current)
  }
  // preventDefault: focus moves during keydown, so the key would otherwise be typed into the draft.
  useShortcuts({
    r: (event) => {
      event.preventDefault()
      focusComposer('reply')
    },
    n: (event) => {
      event.preventDefault()
      focusComposer('note')
    },
  })

  function insertCanned(event: ChangeEvent<HTMLSelectElement>) {
    const chosen = props.cannedResponses.find((c) => c.id === event.currentTarget.value)
    event.currentTarget.value = ''
    const textarea = bodyRef.current
    if (!chosen || !textarea) return
    const text = fillPlaceholders(chosen.body, props.cannedContext)
    const next = insertAtSelection(textarea.value, text, textarea.selectionStart, textarea.selectionEnd)
    setTextLikeTyping(textarea, next.value)
    textarea.focus()
    textarea.setSelectionRange(next.caret, next.caret)
  }

  const translationControl: ReplyTranslationControl = {
    shown: kind === 'reply' ? translation : null,
    show: (text, translated) => {
      const textarea = bodyRef.current
      if (!textarea) return
      setKind('reply')
      setExpanded(true)
      translationMark.set(translated)
      setTextLikeTyping(textarea, text)
      // The button that asked stays, but was disabled while it waited (focus fell to <body>): the
      // agent goes on in the text they are to review, at its end.
      focusToWrite(textarea)
    },
  }
  function restoreOriginal() {
    const textarea = bodyRef.current
    if (!textarea || !translation) return
    translationMark.set(null)
    setTextLikeTyping(textarea, translation.original)
    // The Restore button goes with the notice: the caret goes back to the text.
    focusToWrite(textarea)
  }
  function dropTranslationMark() {
    translationMark.drop()
    // The same text, saved without the mark.
    autosave.changed()
    // The button goes with the review line: the caret goes back to the text.
    if (bodyRef.current) focusToWrite(bodyRef.current)
  }

  const serverFileErrors = lastResult?.error?.files ?? undefined
  const fileErrors = clientFileError ? [clientFileError] : serverFileErrors
  const statusLabel = status && status !== props.currentStatus ? ` & set ${status}` : ''
  const sendLabel = `${kind === 'note' ? 'Add note' : 'Send reply'}${statusLabel}`
  const isNote = kind === 'note'
  const bodyProps = getTextareaProps(fields.body)
  // The customer's latest email came through a mailing list: a reply goes to them, not the list.
  const listHintId = `${fields.body.id}-list`
  const listHint =
    isNote || typeof props.customerViaList !== 'string'
      ? null
      : `Your reply goes to ${props.cannedContext.customer.email}${
          (props.defaultCc ?? []).length > 0 ? ' and the CC list' : ''
        } only, not to the ${props.customerViaList ? `list ${props.customerViaList}` : 'mailing list'}.`

  return (
    <fetcher.Form
      method="post"
      encType="multipart/form-data"
      preventScrollReset
      {...getFormProps(form)}
      onSubmit={(event) => {
        const submitter = (event.nativeEvent as SubmitEvent).submitter
        const intent = submitter?.getAttribute('value')
        if (intent === 'reply' || intent === 'reply-next') {
          sentUnder.current = props.draftGeneration ?? 0
          autosave.sending()
        }
        form.onSubmit(event)
      }}
      aria-label="Reply composer"
      className={`${expanded ? 'space-y-3 p-4' : 'space-y-2 p-2'} rounded-lg border ${
        isNote
          ? 'border-amber-300 bg-amber-50/60 dark:border-amber-800 dark:bg-amber-950/30'
          : 'border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900'
      }`}
    >
      <input type="hidden" name="lastSeenMessageId" value={seenMessageId ?? ''} />
      <input type="hidden" name="from" value={props.from ?? ''} />
      <LiveSocketField />
      <fieldset className="flex gap-1">
        <legend className="sr-only">Message type</legend>
        {(
          [
            ['reply', 'Reply', 'r'],
            ['note', 'Internal note', 'n'],
          ] as const
        ).map(([value, label, key]) => (
          <label
            key={value}
            className="cursor-pointer rounded-md px-3 py-1.5 text-sm font-medium text-slate-600 has-[:checked]:bg-indigo-600 has-[:checked]:text-white has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-indigo-500 dark:text-slate-300"
          >
            <input
              type="radio"
              name="kind"
              value={value}
              checked={kind === value}
              // Choosing a tab (again, too) puts the caret in the text box, as the r and n keys
              // do: focus left on the radio took the words typed next as the page's shortcuts.
              onClick={() => focusComposer(value)}
              onChange={() => setKind(value)}
              className="sr-only"
            />
            {label}
            <kbd className="ml-1.5 hidden text-xs opacity-70 sm:inline" aria-hidden>
              {key}
            </kbd>
          </label>
        ))}
      </fieldset>
      {autosave.restored ? (
        <p role="status" className="text-sm text-slate-600 dark:text-slate-300">
          Brought back what you typed in this browser that had not been saved.
        </p>
      ) : null}
      {autosave.conflict ? (
        // Nothing is saved over the other text until the agent chooses; this browser keeps theirs.
        <div
          role="alert"
          className="flex flex-wrap items-center gap-2 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200"
        >
          <p className="min-w-0 flex-1">
            Your draft was changed in another tab or device.
            {autosave.conflict.loadFailed ? ' Not loaded: Switchboard could not be reached.' : null}
          </p>
          <Button
            type="button"
            variant="secondary"
            onClick={() => {
              autosave.loadTheirs()
              if (bodyRef.current) focusToWrite(bodyRef.current, { preventScroll: true })
            }}
          >
            Load it
          </Button>
          <Button
            type="button"
            variant="secondary"
            onClick={() => {
              autosave.keepMine()
              if (bodyRef.current) focusToWrite(bodyRef.current, { preventScroll: true })
            }}
          >
            Keep mine
          </Button>
        </div>
      ) : null}
      {translation && !isNote ? (
        <TranslationReview
          translation={translation}
          onRestore={hydrated ? restoreOriginal : undefined}
          onDrop={hydrated ? dropTranslationMark : undefined}
        />
      ) : null}
      {translationMark.dropped && !isNote ? <TranslationDropped /> : null}
      <div className="space-y-1">
        <label htmlFor={fields.body.id} className={expanded ? 'block text-sm font-medium' : 'sr-only'}>
          {isNote
            ? 'Internal note (only your team sees it)'
            : `Reply to ${props.cannedContext.customer.name || props.cannedContext.customer.email}`}
        </label>
        {listHint ? (
          <p id={listHintId} className="text-xs text-slate-600 [overflow-wrap:anywhere] dark:text-slate-400">
            {listHint}
          </p>
        ) : null}
        <textarea
          {...bodyProps}
          aria-describedby={
            [bodyProps['aria-describedby'], listHint ? listHintId : undefined].filter(Boolean).join(' ') ||
            undefined
          }
          ref={bodyRef}
          rows={expanded ? 6 : 1}
          placeholder={isNote ? 'Write an internal note…' : 'Write a reply…'}
          onFocus={() => setExpanded(true)}
          onKeyDown={(event) => {
            if (event.defaultPrevented) return
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
              // Ctrl/Cmd+Enter sends, as the Send button would (the collision's "Send anyway" too).
              event.preventDefault()
              const send = event.currentTarget.form?.querySelector<HTMLButtonElement>(
                'button[name="intent"][value="reply"]',
              )
              if (send) event.currentTarget.form?.requestSubmit(send)
            } else if (event.key === 'Escape') {
              // Esc leaves the text field, so the page's single-key shortcuts work again; focus
              // goes to the page's main region, not <body> (r comes back to the caret).
              focusMainContent()
            }
          }}
          onInput={(event) => {
            props.onTyping?.(event.currentTarget.value.trim() ? kind : null)
            translationMark.textChanged(event.currentTarget.value)
            if (props.draftUrl) autosave.changed()
          }}
          onBlur={() => props.onTyping?.(null)}
          className={`block w-full rounded-md border px-3 py-2 text-sm shadow-sm focus:min-h-32 aria-[invalid]:border-red-500 [&:not(:placeholder-shown)]:min-h-32 ${
            isNote
              ? 'border-amber-300 bg-amber-50 dark:border-amber-800 dark:bg-amber-950/40'
              : 'border-slate-300 bg-white dark:border-slate-700 dark:bg-slate-950'
          }`}
        />
        {isNote && props.mentionMembers ? (
          <MentionAutocomplete textarea={bodyRef} members={props.mentionMembers} />
        ) : null}
        <div
          id={fields.body.errorId}
          className="min-h-5 text-sm text-red-600 dark:text-red-400"
          aria-live="polite"
        >
          {fields.body.errors?.join(' ')}
        </div>
      </div>
      <details
        open={expanded}
        onToggle={(event) => {
          if (event.currentTarget.open !== expanded) setExpanded(event.currentTarget.open)
        }}
        className="group space-y-3"
      >
        <summary
          // Open, it is there for screen readers and the keyboard, and shows when focused (a Tab
          // landed on an invisible control that folded the options away).
          className={`cursor-pointer text-sm text-slate-600 dark:text-slate-400 ${expanded ? 'sr-only focus-visible:not-sr-only' : ''}`}
        >
          More: {isNote ? '' : 'CC, '}attachments, canned responses, status
        </summary>
        <div className="space-y-3 pt-1">
          {props.aiTools?.(bodyRef, translationControl)}

          {isNote ? null : (
            <div className="grid gap-3 sm:grid-cols-2">
              <input type="hidden" name="ccShown" value="1" />
              {(
                [
                  [
                    fields.cc,
                    'CC',
                    'Copied on this reply and later ones (reply-all). Remove to stop copying.',
                  ],
                  [fields.bcc, 'BCC', 'This reply only; recipients do not see each other.'],
                ] as const
              ).map(([field, label, hint]) => (
                <div key={label} className="space-y-1">
                  <label htmlFor={field.id} className="block text-sm font-medium">
                    {label}
                  </label>
                  <input
                    {...getInputProps(field, { type: 'text' })}
                    onInput={(event) => {
                      const text = event.currentTarget.value
                      draftFields.current =
                        field.name === 'cc'
                          ? { ...draftFields.current, cc: ccShown(text) }
                          : { ...draftFields.current, bcc: text }
                      if (props.draftUrl) autosave.changed()
                    }}
                    maxLength={COPY_LIST_MAX}
                    autoComplete="off"
                    placeholder="name@example.com, …"
                    aria-describedby={`${field.descriptionId}${field.errors ? ` ${field.errorId}` : ''}${
                      autosave.refused?.[field.name] ? ` ${field.id}-not-saved` : ''
                    }`}
                    className="block w-full rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm aria-[invalid]:border-red-500 dark:border-slate-700 dark:bg-slate-950"
                  />
                  <p id={field.descriptionId} className="text-xs text-slate-500 dark:text-slate-400">
                    {hint} At most 10.
                  </p>
                  {field.errors ? (
                    <p id={field.errorId} className="text-sm text-red-600 dark:text-red-400">
                      {field.errors.join(' ')}
                    </p>
                  ) : null}
                  {autosave.refused?.[field.name] ? (
                    <p
                      id={`${field.id}-not-saved`}
                      role="alert"
                      className="text-sm text-red-600 dark:text-red-400"
                    >
                      Draft not saved: {autosave.refused[field.name]?.join(' ')}
                    </p>
                  ) : null}
                </div>
              ))}
            </div>
          )}

          <div className="flex flex-wrap items-end gap-4">
            {props.cannedResponses.length > 0 ? (
              <div className="space-y-1">
                <label htmlFor="composer-canned" className="block text-sm font-medium">
                  Canned response
                </label>
                <div className="flex gap-2">
                  <select
                    id="composer-canned"
                    name="cannedId"
                    defaultValue=""
                    onChange={hydrated ? insertCanned : undefined}
                    aria-invalid={fields.cannedId.errors ? true : undefined}
                    aria-describedby={fields.cannedId.errors ? fields.cannedId.errorId : undefined}
                    className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900"
                  >
                    <option value="">{hydrated ? 'Insert…' : 'Choose…'}</option>
                    {props.cannedResponses.map((c) => (
                      <option key={c.id} value={c.id}>
                        {c.title}
                      </option>
                    ))}
                  </select>
                  {hydrated ? null : (
                    <Button type="submit" name="intent" value="insert-canned" variant="secondary">
                      Insert
                    </Button>
                  )}
                </div>
                {fields.cannedId.errors ? (
                  <p id={fields.cannedId.errorId} className="text-xs text-red-600 dark:text-red-400">
                    {fields.cannedId.errors.join(' ')}
                  </p>
                ) : null}
              </div>
            ) : null}
            <div className="space-y-1">
              <label htmlFor="composer-files" className="block text-sm font-medium">
                Attachments
              </label>
              <input
                id="composer-files"
                type="file"
                name="files"
                multiple
                onChange={(event) => {
                  const problem = fileProblem(event.currentTarget.files)
                  event.currentTarget.setCustomValidity(problem)
                  setClientFileError(problem)
                }}
                aria-invalid={fileErrors ? true : undefined}
                aria-describedby={`composer-files-hint${fileErrors ? ' composer-files-error' : ''}`}
                className="block text-sm file:mr-2 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-2 file:py-1 file:text-sm dark:file:border-slate-700 dark:file:bg-slate-900 dark:file:text-slate-100"
              />
              <p id="composer-files-hint" className="text-xs text-slate-500 dark:text-slate-400">
                Up to {MAX_FILES} files, 25 MB in total. No executables.
              </p>
              {draft?.files && draft.files.length > 0 ? (
                <fieldset className="space-y-1 pt-1">
                  <legend className="text-sm font-medium">Kept from your undone reply</legend>
                  {draft.files.map((file) => (
                    <label key={file.sha256} className="flex min-w-0 items-center gap-2 text-sm">
                      <input type="checkbox" name="keepFile" value={file.sha256} defaultChecked />
                      <span className="min-w-0 [overflow-wrap:anywhere]">{file.filename}</span>
                      <span className="shrink-0 text-xs whitespace-nowrap text-slate-500 dark:text-slate-400">
                        {formatBytes(file.size)}
                      </span>
                    </label>
                  ))}
                  <p className="text-xs text-slate-500 dark:text-slate-400">
                    Sent with this message; untick a file to leave it out.
                  </p>
                </fieldset>
              ) : null}
              {!hydrated && props.filesNotKept && props.filesNotKept.length > 0 ? (
                <p
                  className="text-sm text-amber-700 [overflow-wrap:anywhere] dark:text-amber-400"
                  role="status"
                >
                  Attach{' '}
                  {props.filesNotKept.length === 1 ? 'your file' : `your ${props.filesNotKept.length} files`}{' '}
                  again: {props.filesNotKept.join(', ')}. Files are not kept when a message is refused.
                </p>
              ) : null}
              {fileErrors ? (
                <p id="composer-files-error" className="text-sm text-red-600 dark:text-red-400" role="alert">
                  {fileErrors.join(' ')}
                </p>
              ) : null}
            </div>
          </div>

          {collision && collision.length > 0 ? null : (
            <div className="flex flex-wrap items-end gap-3">
              <div className="space-y-1">
                <label htmlFor="composer-status" className="block text-sm font-medium">
                  Then set status
                </label>
                <select
                  id="composer-status"
                  name="status"
                  value={status}
                  onChange={(event) => {
                    setStatus(event.currentTarget.value)
                    draftFields.current = { ...draftFields.current, status: event.currentTarget.value }
                    if (props.draftUrl) autosave.changed()
                  }}
                  aria-invalid={fields.status.errors ? true : undefined}
                  aria-describedby={fields.status.errors ? fields.status.errorId : undefined}
                  className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm dark:border-slate-700 dark:bg-slate-900"
                >
                  <option value="">Keep ({STATUS_LABEL[props.currentStatus].toLowerCase()})</option>
                  {TICKET_STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {STATUS_LABEL[s]}
                    </option>
                  ))}
                </select>
              </div>
            </div>
          )}
        </div>
      </details>

      {collision && collision.length > 0 ? (
        <div
          role="alert"
          className="space-y-3 rounded-md border border-amber-400 bg-amber-100 p-3 text-sm text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100"
        >
          <p className="font-semibold">New activity since you started typing</p>
          {collisionNotShown > 0 ? (
            <p>
              {collisionNotShown === 1 ? '1 earlier message' : `${collisionNotShown} earlier messages`} since
              then {collisionNotShown === 1 ? 'is' : 'are'} not shown here: Review shows the thread.
            </p>
          ) : null}
          <ul className="space-y-2">
            {collision.map((m) => (
              <li
                key={m.id}
                className="rounded border border-amber-300 bg-white/70 p-2 dark:border-amber-800 dark:bg-slate-900/60"
              >
                <p className="text-xs">
                  <span className="font-medium">{m.author}</span>
                  {m.fromParticipant === false ? ' (not on this ticket)' : ''} ·{' '}
                  {m.kind === 'note'
                    ? 'Internal note'
                    : m.sending
                      ? 'Reply being sent (can still be undone)'
                      : 'Reply'}{' '}
                  · <RelativeTime iso={m.createdAt.toISOString()} now={now} />
                </p>
                <p className="mt-1 line-clamp-6 break-words whitespace-pre-wrap">{m.bodyText}</p>
              </li>
            ))}
          </ul>
          {hydrated ? null : (
            <p className="text-xs">
              Attachments are not kept across this check: select your files again before sending.
            </p>
          )}
          <input type="hidden" name="sendAnyway" value="1" />
          <input type="hidden" name="status" value={status} />
          <div className="flex flex-wrap gap-2">
            {/* The send the agent chose: "Send & next" still moves on once sent anyway. */}
            <Button
              type="submit"
              name="intent"
              value={collisionIntent}
              pending={submittingIntent === collisionIntent}
            >
              {collisionIntent === 'reply-next' ? 'Send anyway & next' : 'Send anyway'}
            </Button>
            <Button
              type="submit"
              name="intent"
              value="review"
              variant="secondary"
              pending={submittingIntent === 'review'}
            >
              Review
            </Button>
          </div>
        </div>
      ) : (
        <div className="flex flex-wrap items-end gap-3">
          <Button type="submit" name="intent" value="reply" pending={submittingIntent === 'reply'}>
            {sendLabel}
          </Button>
          <Button
            type="submit"
            name="intent"
            value="reply-next"
            variant="secondary"
            pending={submittingIntent === 'reply-next'}
          >
            {isNote ? 'Add note & next' : 'Send & next'}
          </Button>
          <span className="hidden text-xs text-slate-500 sm:inline dark:text-slate-400">
            <kbd>Ctrl</kbd>+<kbd>Enter</kbd> sends
          </span>
        </div>
      )}
      {fields.status.errors || fields.kind.errors ? (
        <p id={fields.status.errorId} className="text-sm text-red-600 dark:text-red-400">
          {[...(fields.kind.errors ?? []), ...(fields.status.errors ?? [])].join(' ')}
        </p>
      ) : null}
      {sendFailed ? (
        <SendFailure
          pending={submittingIntent === 'reply'}
          refusal={fetched?.noAccess ? fetched.error : undefined}
        />
      ) : null}
      <FormErrors id={form.errorId} errors={form.errors} />
    </fetcher.Form>
  )
}

/** The inline notice after a send that did not reach the server; Retry posts the same form again. */
/** `refusal`: why the send was refused when access was lost (no Retry: it would be refused again). */
function SendFailure({ pending, refusal }: { pending: boolean; refusal?: string }) {
  return (
    <div
      role="alert"
      className="flex flex-wrap items-center gap-3 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
    >
      {refusal ? (
        <p className="font-medium">{refusal}</p>
      ) : (
        <>
          <p className="font-medium">Couldn’t send — your message is still here.</p>
          <Button type="submit" name="intent" value="reply" variant="secondary" pending={pending}>
            Retry
          </Button>
        </>
      )}
    </div>
  )
}

/** Sets a field's value natively and announces it, so Conform (and the autosave) see typing. */
function setTextLikeTyping(field: HTMLTextAreaElement | HTMLInputElement, value: string) {
  const prototype =
    field instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype
  const setter = Object.getOwnPropertyDescriptor(prototype, 'value')?.set
  setter?.call(field, value)
  field.dispatchEvent(new Event('input', { bubbles: true }))
}
