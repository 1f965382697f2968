import { useEffect, useRef } from 'react'

export type ShortcutHandlers = Partial<Record<string, (event: KeyboardEvent) => void>>

/**
 * True when a key press belongs to what the person is typing or filling in, not to a shortcut:
 * a text field, a select, editable content, or anything inside a `<form>` (its radios, checkboxes
 * and buttons too). A person on a form's tab or button who starts typing meant the text box: the
 * composer's Reply/Internal note radio once took "escalate" as e (resolve) and a (assign).
 * Checkboxes, radios and buttons outside a form still let shortcuts through: the inbox rows'
 * checkboxes sit in the table (they join the bulk form by their `form` attribute), where j, k
 * and x move through and select rows.
 */
export function isTypingTarget(target: EventTarget | null) {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable) return true
  const tag = target.tagName
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  if (target.closest('form')) return true
  if (tag !== 'INPUT') return false
  const type = (target as HTMLInputElement).type
  return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(type)
}

/**
 * Calls `handlers[event.key]` for single-key shortcuts on the document. Nothing fires while
 * typing in a field or with focus anywhere in a form (`isTypingTarget`), with Ctrl/Alt/Meta held
 * (browser and OS shortcuts), or inside an open dialog (it handles its own keys, Escape closes it).
 */
export function useShortcuts(handlers: ShortcutHandlers) {
  const latest = useRef(handlers)
  useEffect(() => {
    latest.current = handlers
  })
  useEffect(() => {
    function onKeyDown(event: KeyboardEvent) {
      if (event.defaultPrevented || event.repeat) return
      if (event.ctrlKey || event.metaKey || event.altKey) return
      if (isTypingTarget(event.target)) return
      if (event.target instanceof Element && event.target.closest('dialog[open]')) return
      const handler = latest.current[event.key]
      if (!handler) return
      handler(event)
    }
    document.addEventListener('keydown', onKeyDown)
    return () => document.removeEventListener('keydown', onKeyDown)
  }, [])
}
