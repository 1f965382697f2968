/**
 * Runs `run` now when the browser is online, else once it is back online; returns a cancel.
 * For background reloads and posts: offline they fail into the route's error boundary, which
 * replaces the page and takes what the agent was typing with it.
 */
export function whenOnline(run: () => void): () => void {
  if (navigator.onLine) {
    run()
    return () => {}
  }
  window.addEventListener('online', run, { once: true })
  return () => window.removeEventListener('online', run)
}

/**
 * `whenOnline` for a reload asked for again and again (each live event): a new request replaces
 * the one still waiting for the network, and `cancel()` drops it (the component went away).
 */
export function latestWhenOnline() {
  let cancelWaiting = () => {}
  return {
    run(fn: () => void) {
      cancelWaiting()
      cancelWaiting = whenOnline(fn)
    },
    cancel: () => cancelWaiting(),
  }
}
