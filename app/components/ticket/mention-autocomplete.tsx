import { useEffect, useMemo, useState, type RefObject } from 'react'
import { handleOf, type Mentionable } from '#app/utils/mentions.ts'

type Query = { start: number; text: string }

/** The `@word` being typed just before the caret, if any. */
function queryAt(value: string, caret: number): Query | null {
  const match = /(^|[^\p{L}\p{N}_])@([\p{L}\p{N}._-]{0,30})$/u.exec(value.slice(0, caret))
  return match ? { start: caret - match[2].length - 1, text: match[2].toLowerCase() } : null
}

/**
 * Suggests workspace members while `@name` is typed in a note. Progressive: without JavaScript
 * (or when nothing is chosen) the plain text `@Dana` still mentions Dana on the server.
 * Arrow keys move, Enter or Tab inserts `@handle `, Escape closes.
 */
export function MentionAutocomplete({
  textarea,
  members,
}: {
  textarea: RefObject<HTMLTextAreaElement | null>
  members: Mentionable[]
}) {
  const [query, setQuery] = useState<Query | null>(null)
  const [active, setActive] = useState(0)
  const matches = useMemo(
    () =>
      query
        ? members
            .filter((m) => m.name.toLowerCase().includes(query.text) || handleOf(m.name).includes(query.text))
            .slice(0, 6)
        : [],
    [query, members],
  )

  useEffect(() => {
    const element = textarea.current
    if (!element) return
    const update = () => {
      setQuery(queryAt(element.value, element.selectionStart))
      setActive(0)
    }
    const close = () => setQuery(null)
    element.addEventListener('input', update)
    element.addEventListener('blur', close)
    return () => {
      element.removeEventListener('input', update)
      element.removeEventListener('blur', close)
    }
  }, [textarea])

  useEffect(() => {
    const element = textarea.current
    if (!element || !query || matches.length === 0) return
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault()
        const step = event.key === 'ArrowDown' ? 1 : -1
        setActive((i) => (i + step + matches.length) % matches.length)
      } else if (event.key === 'Enter' || event.key === 'Tab') {
        event.preventDefault()
        insertMention(element, query, matches[Math.min(active, matches.length - 1)])
        setQuery(null)
      } else if (event.key === 'Escape') {
        event.stopPropagation()
        setQuery(null)
      }
    }
    element.addEventListener('keydown', onKeyDown)
    return () => element.removeEventListener('keydown', onKeyDown)
  }, [textarea, query, matches, active])

  if (!query || matches.length === 0) return null
  return (
    <ul
      role="listbox"
      aria-label="Mention a teammate"
      className="mt-1 w-64 rounded-md border border-slate-200 bg-white p-1 text-sm shadow-lg dark:border-slate-700 dark:bg-slate-900"
    >
      {matches.map((m, i) => (
        <li
          key={m.userId}
          role="option"
          aria-selected={i === active}
          // mousedown, not click: the textarea's blur would close the list first.
          onMouseDown={(event) => {
            event.preventDefault()
            setActive(i)
            if (textarea.current) insertMention(textarea.current, query, m)
            setQuery(null)
          }}
          className={`cursor-pointer rounded px-2 py-1 ${i === active ? 'bg-indigo-50 dark:bg-indigo-950' : ''}`}
        >
          {m.name} <span className="text-slate-500">@{handleOf(m.name)}</span>
        </li>
      ))}
    </ul>
  )
}

/** Replaces the typed `@query` with `@handle ` and puts the caret after it. */
function insertMention(element: HTMLTextAreaElement, query: Query, member: Mentionable) {
  const inserted = `@${handleOf(member.name)} `
  const value = element.value.slice(0, query.start) + inserted + element.value.slice(element.selectionStart)
  // The textarea is controlled by Conform: set it through the native setter and announce it.
  Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')?.set?.call(element, value)
  element.dispatchEvent(new Event('input', { bubbles: true }))
  const caret = query.start + inserted.length
  element.focus()
  element.setSelectionRange(caret, caret)
}
