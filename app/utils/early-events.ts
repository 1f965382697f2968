/**
 * The events on which react-dom 18.3 hydrates a dehydrated root at once, synchronously
 * (`discreteReplayableEvents` in react-dom).
 */
const SYNC_HYDRATING_EVENTS = [
  'mousedown',
  'mouseup',
  'touchcancel',
  'touchend',
  'touchstart',
  'auxclick',
  'dblclick',
  'pointercancel',
  'pointerdown',
  'pointerup',
  'dragend',
  'dragstart',
  'drop',
  'compositionend',
  'compositionstart',
  'keydown',
  'keypress',
  'keyup',
  'input',
  'textInput',
  'copy',
  'cut',
  'paste',
  'click',
  'change',
  'contextmenu',
  'reset',
  'submit',
]

/**
 * Keeps a key press, click or touch that comes between `hydrateRoot` and React's first render of
 * `RemixBrowser` away from React, so the page still hydrates.
 *
 * On such an event React hydrates the root at once, in a synchronous render. `RemixBrowser`'s
 * first render always suspends (with single fetch it waits for the page's data to be decoded from
 * `__remixContext.stream`), and a root that suspends in a synchronous render fails ("Root did not
 * complete", React error #345) and never renders again: the page stays as the server sent it, with
 * no live updates and no JavaScript behind its controls, until it is reloaded. The window is one
 * task long, wider on a busy machine (CI saw a `page.reload()` then Tab stall this way about once
 * in 10 runs; remix-run/react-router#12763 has it from real visitors).
 *
 * Until that first render has taken the data stream, such events stop at the window, before
 * React's listeners on the document; what the browser does by default still happens (focus moves,
 * a link is followed, a form is posted), as on a page whose JavaScript has not run yet. From then
 * on React gets them: a root already suspended on the data waits for it, then hydrates.
 */
export function keepEarlyEventsFromReact() {
  const beforeFirstRender = () =>
    (window as { __remixContext?: { stream?: unknown } }).__remixContext?.stream !== undefined
  const stop = (event: Event) => {
    if (beforeFirstRender()) return event.stopPropagation()
    for (const type of SYNC_HYDRATING_EVENTS) window.removeEventListener(type, stop, true)
  }
  for (const type of SYNC_HYDRATING_EVENTS) window.addEventListener(type, stop, true)
}
