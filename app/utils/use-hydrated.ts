import { useEffect, useState, type RefObject } from 'react'

let hydrating = true

/**
 * False during the server render and the first client render, true once React runs in the
 * browser: controls that only work with JavaScript appear then, their no-JS fallbacks go away.
 */
export function useHydrated() {
  const [hydrated, setHydrated] = useState(() => !hydrating)
  useEffect(() => {
    hydrating = false
    setHydrated(true)
  }, [])
  return hydrated
}

/**
 * For a form whose selects apply as soon as they change (with JavaScript) and that has a submit
 * button only until the page is hydrated: a select changed before the page's scripts ran (the
 * change event went to no handler) would keep showing the new choice after hydration, its button
 * gone and nothing applied. Once hydrated, `apply` runs for the form if any of its selects shows
 * another option than the page was drawn with (the one marked `selected` in the HTML). Only for
 * the render that hydrated the server's HTML: a form drawn later in the browser has no such past.
 * The form should say `autoComplete="off"`, so that a browser restoring form state on a reload
 * cannot make an old choice look like the user's.
 */
export function useApplyChoiceMadeBeforeHydration(
  formRef: RefObject<HTMLFormElement | null>,
  apply: (form: HTMLFormElement) => void,
) {
  const [fromServer] = useState(() => hydrating)
  useEffect(() => {
    hydrating = false
    const form = formRef.current
    if (!fromServer || !form) return
    if (
      Array.from(form.elements).some(
        (element) => element instanceof HTMLSelectElement && changedSelect(element),
      )
    ) {
      apply(form)
    }
    // Once, for the hydrated HTML.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])
}

function changedSelect(select: HTMLSelectElement) {
  if (select.multiple) return Array.from(select.options).some((o) => o.selected !== o.defaultSelected)
  const drawn = Array.from(select.options).find((o) => o.defaultSelected) ?? select.options[0]
  return drawn !== undefined && select.value !== drawn.value
}
