/**
 * Fair shares of the webhook delivery loops (`webhook.deliver`, app/jobs/webhook-worker.server.ts).
 * A POST holds its loop until the receiver answers or the 10 s timeout, so before this one
 * workspace's receiver that never answered, with a backlog, took every loop in turn and delayed
 * every other workspace's deliveries by 10 s per few jobs (26 s behind 25 tickets). Three rules:
 *
 * - **One attempt at a time per endpoint.** Across instances by pg-boss's group concurrency (each
 *   job's group is its endpoint: a fetch skips the jobs of an endpoint with one active), and
 *   exactly in each process here (two loops that fetched at the same instant could both take one).
 * - **A few loops per workspace.** At most WORKSPACE_IN_FLIGHT attempts of one workspace run at once
 *   in a process, however many endpoints it has, so the rest of the loops serve everyone else.
 * - **A receiver that keeps timing out is paused.** An attempt that lasted SLOW_ATTEMPT_MS or more
 *   without a 2xx pauses its endpoint in this process: PAUSE_FIRST_MS, doubling with each such
 *   attempt in a row up to PAUSE_MAX_MS; any answer in time ends the pause. A paused endpoint costs
 *   one attempt per pause, not a loop all the time.
 *
 * A job that may not run now is deferred (`deferFor`): put back with a later start, its attempt
 * not counted, so the delivery keeps its retries and the 3-day rule sees only real attempts (a
 * paused endpoint still gets an attempt at every pause's end). The state is per process: the
 * loops it shares out are the process's own, and another instance learns a pause from its own
 * attempt. A test event (Send test event) is not held by a pause: the admin who fixed the
 * receiver sees it go, and its answer ends the pause.
 */
export const WORKSPACE_IN_FLIGHT = 4
export const SLOW_ATTEMPT_MS = 5_000
export const PAUSE_FIRST_MS = 10_000
export const PAUSE_MAX_MS = 5 * 60_000
/** A job that found its endpoint or workspace busy comes back this much later. */
export const BUSY_RETRY_MS = 500
/** Pauses remembered at most (the oldest ended ones are forgotten first). */
const MAX_REMEMBERED = 10_000

type Pause = { until: number; inARow: number }
type FairnessState = {
  endpoints: Set<string>
  workspaces: Map<string, number>
  pauses: Map<string, Pause>
}

const store = globalThis as unknown as { __switchboardWebhookFairness?: FairnessState }
const state = (store.__switchboardWebhookFairness ??= {
  endpoints: new Set(),
  workspaces: new Map(),
  pauses: new Map(),
})

export type Turn =
  | { kind: 'go'; done: (attempt: { succeeded: boolean; latencyMs: number }) => void; release: () => void }
  | { kind: 'wait'; ms: number; reason: 'endpoint-busy' | 'workspace-busy' | 'endpoint-paused' }

/** Asks for the endpoint's turn; `go` holds it until `done` (an attempt made) or `release`. */
export function takeTurn(
  { endpointId, workspaceId, test }: { endpointId: string; workspaceId: string; test: boolean },
  now = Date.now(),
): Turn {
  const pause = state.pauses.get(endpointId)
  if (!test && pause && pause.until > now) {
    return { kind: 'wait', ms: pause.until - now, reason: 'endpoint-paused' }
  }
  if (state.endpoints.has(endpointId)) return { kind: 'wait', ms: BUSY_RETRY_MS, reason: 'endpoint-busy' }
  const running = state.workspaces.get(workspaceId) ?? 0
  if (running >= WORKSPACE_IN_FLIGHT) return { kind: 'wait', ms: BUSY_RETRY_MS, reason: 'workspace-busy' }
  state.endpoints.add(endpointId)
  state.workspaces.set(workspaceId, running + 1)
  let held = true
  const release = () => {
    if (!held) return
    held = false
    state.endpoints.delete(endpointId)
    const left = (state.workspaces.get(workspaceId) ?? 1) - 1
    if (left > 0) state.workspaces.set(workspaceId, left)
    else state.workspaces.delete(workspaceId)
  }
  const done = ({ succeeded, latencyMs }: { succeeded: boolean; latencyMs: number }) => {
    release()
    if (succeeded || latencyMs < SLOW_ATTEMPT_MS) {
      // An answer in time (a quick 500 holds no loop: the retry schedule handles it).
      state.pauses.delete(endpointId)
      return
    }
    const inARow = (state.pauses.get(endpointId)?.inARow ?? 0) + 1
    const ms = Math.min(PAUSE_FIRST_MS * 2 ** (inARow - 1), PAUSE_MAX_MS)
    state.pauses.delete(endpointId) // re-inserted last: the map's order is the pauses' age
    state.pauses.set(endpointId, { until: Date.now() + ms, inARow })
    forgetOldPauses()
  }
  return { kind: 'go', done, release }
}

function forgetOldPauses() {
  if (state.pauses.size <= MAX_REMEMBERED) return
  for (const key of state.pauses.keys()) {
    state.pauses.delete(key)
    if (state.pauses.size <= MAX_REMEMBERED) return
  }
}
