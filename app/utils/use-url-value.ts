import { useEffect, useRef } from 'react'

/**
 * For a field of a GET form that shows a value of the page's URL (an inbox filter, a search box):
 * the field is drawn once (`defaultValue`, `defaultChecked`) and stays the same element, so a
 * change made in it (a keyboard user arrowing through a select's options, each one applied at
 * once; Enter in a search box) keeps focus in it. When the URL's value changes some other way
 * (Back, Forward, a link), the field is set to it here: React applies neither a new
 * `defaultValue` nor a new `defaultChecked` to an element it has drawn. Before, such fields were
 * keyed on their value, and every change remounted the focused field and threw focus to <main>
 * (WCAG 3.2.2). The page as first drawn is left alone: a choice made before hydration stays for
 * `useApplyChoiceMadeBeforeHydration` to apply.
 */
export function useFieldFollowingUrl<Field extends HTMLInputElement | HTMLSelectElement>(
  value: string | boolean,
) {
  const ref = useRef<Field>(null)
  const shown = useRef(value)
  useEffect(() => {
    if (shown.current === value) return
    shown.current = value
    const field = ref.current
    if (!field) return
    if (typeof value === 'boolean') {
      if (field instanceof HTMLInputElement) field.checked = value
    } else if (field.value !== value) field.value = value
  }, [value])
  return ref
}
