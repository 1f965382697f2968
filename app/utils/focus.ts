/**
 * Focuses a text field to carry on writing in it. A field drawn with a value (a saved draft) has
 * its caret before its text, so `r` or the Reply button put what was typed next in front of the
 * draft: a caret still at the start goes after the text. One the person placed (they were in the
 * field before, and left it with Esc) stays where it was.
 */
export function focusToWrite(field: HTMLTextAreaElement | HTMLInputElement, options?: FocusOptions) {
  field.focus(options)
  if (field.selectionStart === 0 && field.selectionEnd === 0) {
    const end = field.value.length
    field.setSelectionRange(end, end)
  }
}

/**
 * Where focus goes when what held it is gone: the page's main region (`#main-content`, focusable
 * by script only), without scrolling. Focus left on `<body>` (an element removed under it, a
 * dialog opened by a shortcut and closed) starts a screen reader and the next Tab from the top of
 * the document.
 */
export function focusMainContent() {
  document.getElementById('main-content')?.focus({ preventScroll: true })
}

/** Whether focus is nowhere in particular (on `<body>`, or on nothing). */
export function focusIsLost() {
  const active = document.activeElement
  return active === null || active === document.body || active === document.documentElement
}
