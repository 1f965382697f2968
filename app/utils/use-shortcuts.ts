import { useEffect, useRef } from 'react'

export type ShortcutHandlers = Partial<Record<string, (event: KeyboardEvent) => void>>

/** True when a key press belongs to what the person is typing, not to a shortcut. */
export function isTypingTarget(target: EventTarget | null) {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable) return true
  const tag = target.tagName
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  if (tag !== 'INPUT') return false
  const type = (target as HTMLInputElement).type
  // Checkboxes, radios and buttons take no text: shortcuts still work while they have focus.
  return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(type)
}

/**
 * Calls `handlers[event.key]` for single-key shortcuts on the document. Nothing fires while
 * typing in a field, with Ctrl/Alt/Meta held (browser and OS shortcuts), or inside an open
 * dialog (it handles its own keys, Escape closes it).
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
