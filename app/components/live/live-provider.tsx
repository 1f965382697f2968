import { useRevalidator } from '@remix-run/react'
import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react'
import type { Socket, io as ioFunction } from 'socket.io-client'
import {
  missedWhileConnecting,
  roleAtReady,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '#app/realtime/protocol.ts'
import type { Role } from '#app/utils/roles.ts'
import { whenOnline } from '#app/utils/when-online.ts'

/** `no-access`: the member was removed from this page's workspace while it was open. */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'no-access'

/** The tab's socket, typed by our protocol's event maps. */
export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>

/**
 * The user's role in the page's workspace changed while the tab was open (`workspace:role`, or
 * found at `ready` after a reconnection: roleAtReady); `seq` counts them.
 */
export type RoleChange = { workspaceId: string; role: Role; seq: number }

/** `left`: with `no-access`, the user left the workspace themselves (in another tab). */
type Live = {
  socket: LiveSocket | null
  state: ConnectionState
  roleChange: RoleChange | null
  left?: boolean
}

const LiveContext = createContext<Live>({ socket: null, state: 'connecting', roleChange: null })

export const useLive = () => useContext(LiveContext)

/**
 * One Socket.IO connection per tab for the workspace pages. The session cookie authenticates
 * the handshake. When the user is removed from `workspaceId` (the page's workspace) the server
 * says so: the page then has no live connection, shows `no-access` and never reloads its data.
 * After every reconnect the page revalidates, once the server said `ready`: the adapter between
 * instances keeps no missed events, so the loaders are the source of truth. After the first
 * connection too, when the server saw an event for the user's workspaces (or the user) since this
 * page was requested: that event went by before this socket was in its rooms. A role change or
 * removal the tab missed (offline, disconnected) is found at `ready` (`roles`, against `role`, the
 * role the page was drawn for or last told of) and followed as its live event would have been,
 * instead of reloading: an admins' page reloaded by an agent was the error page, a removed
 * member's "Page not found".
 */
export function LiveProvider({
  workspaceId,
  role,
  children,
}: {
  workspaceId: string
  role: Role
  children: ReactNode
}) {
  const [socket, setSocket] = useState<LiveSocket | null>(null)
  const [state, setState] = useState<ConnectionState>('connecting')
  // Workspaces this tab was told the user was removed from (`workspace:removed`).
  const [removedFrom, setRemovedFrom] = useState<ReadonlySet<string>>(() => new Set())
  const lostAccess = removedFrom.has(workspaceId)
  // Of those, the ones the user left themselves (Leave workspace in another tab).
  const [leftFrom, setLeftFrom] = useState<ReadonlySet<string>>(() => new Set())
  // The latest role this tab was told the user has in its workspace (RoleChangeFollower acts on it).
  const [roleChange, setRoleChange] = useState<RoleChange | null>(null)
  const pageWorkspace = useRef(workspaceId)
  pageWorkspace.current = workspaceId
  // The role this tab knows of: the loader's as it changes, or the latest it was told since.
  const knownRole = useRef(role)
  useEffect(() => {
    knownRole.current = role
  }, [role, workspaceId])
  const revalidator = useRevalidator()
  const lost = useRef(lostAccess)
  lost.current = lostAccess
  // Never once access is lost: the page's loaders answer 404, and a reload would replace the
  // page, with whatever was typed on it, by "Page not found".
  const revalidate = useRef(revalidator.revalidate)
  revalidate.current = () => {
    if (!lost.current) revalidator.revalidate()
  }

  useEffect(() => {
    let disposed = false
    let current: LiveSocket | null = null
    let readyBefore = false
    let retry: ReturnType<typeof setTimeout> | undefined
    // The client's module comes in its own chunk: a load that fails (network gone, a deploy
    // replaced the chunk) is tried again, after a growing pause or as soon as the browser is
    // back online, instead of leaving the page "Connecting…" until it is reloaded.
    const load = (attempt: number) => {
      import('socket.io-client').then(
        ({ io }) => connect(io),
        () => {
          if (disposed) return
          setState(navigator.onLine ? 'reconnecting' : 'offline')
          retry = setTimeout(
            () => whenOnline(() => !disposed && load(attempt + 1)),
            Math.min(30_000, 1_000 * 2 ** attempt),
          )
        },
      )
    }
    const connect = (io: typeof ioFunction) => {
      if (disposed) return
      const s: LiveSocket = io({ transports: ['websocket'], withCredentials: true })
      current = s
      s.on('connect', () => setState('live'))
      s.on('workspace:removed', ({ workspaceId: removed, left }) => {
        if (left) setLeftFrom((current) => new Set(current).add(removed))
        setRemovedFrom((current) => new Set(current).add(removed))
      })
      s.on('workspace:role', ({ workspaceId: changed, role }) => {
        if (changed === pageWorkspace.current) {
          knownRole.current = role
          setRoleChange((previous) => ({ workspaceId: changed, role, seq: (previous?.seq ?? 0) + 1 }))
        }
      })
      s.on('ready', (ready) => {
        const reconnected = readyBefore
        readyBefore = true
        const workspace = pageWorkspace.current
        const missed = roleAtReady(ready, workspace, knownRole.current)
        if (missed?.kind === 'removed') {
          setRemovedFrom((current) => new Set(current).add(workspace))
          return
        }
        if (missed?.kind === 'role') {
          // RoleChangeNotice reloads the page's data, or leaves a page the role may not open.
          knownRole.current = missed.role
          setRoleChange((previous) => ({
            workspaceId: workspace,
            role: missed.role,
            seq: (previous?.seq ?? 0) + 1,
          }))
          return
        }
        if (reconnected || missedWhileConnecting(ready, requestedAt(ready.now))) {
          whenOnline(() => revalidate.current())
        }
      })
      s.on('disconnect', (reason) => {
        setState(navigator.onLine ? 'reconnecting' : 'offline')
        // Closed by the server on purpose (socket.io does not reconnect then): the session ended
        // (signed out on another device, "Sign out of all other devices", expired), or the
        // user's oldest tab over the socket cap. The page reloads its data: an ended session
        // leads to sign-in at once instead of at the next click.
        if (reason === 'io server disconnect') whenOnline(() => revalidate.current())
      })
      let refusals = 0
      s.on('connect', () => (refusals = 0))
      s.on('connect_error', (error) => {
        setState(navigator.onLine ? 'reconnecting' : 'offline')
        // socket.io retries a connection that failed on the way by itself (`active`), but not
        // one its server refused at the handshake check: "Handshake failed" when the session
        // could not be read (the database away for a moment), "Not signed in" when it is gone.
        // Tried again here, after a growing pause or once back online, instead of "Reconnecting…"
        // until a reload. Not signed in: the page reloads its data too, which leads to sign-in
        // if the session really ended.
        if (s.active || disposed) return
        if (error.message === 'Not signed in') whenOnline(() => revalidate.current())
        retry = setTimeout(
          () => whenOnline(() => !disposed && !s.connected && s.connect()),
          Math.min(30_000, 1_000 * 2 ** refusals++),
        )
      })
      setSocket(s)
    }
    load(0)
    const offline = () => setState('offline')
    window.addEventListener('offline', offline)
    return () => {
      disposed = true
      clearTimeout(retry)
      window.removeEventListener('offline', offline)
      current?.disconnect()
    }
  }, [])

  // A workspace the user lost: its page gets no socket (presence, live events, the bell's reloads
  // all stop) and says so; a tab of another workspace keeps the connection.
  const value = useMemo(
    () =>
      lostAccess
        ? { socket: null, state: 'no-access' as const, roleChange: null, left: leftFrom.has(workspaceId) }
        : { socket, state, roleChange: roleChange?.workspaceId === workspaceId ? roleChange : null },
    [socket, state, lostAccess, leftFrom, roleChange, workspaceId],
  )
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>
}

/**
 * When this document was requested (the navigation's start: before the server read any of the
 * page's data), on the server's clock, given the server's `now` as it arrives.
 */
function requestedAt(serverNow: number) {
  return performance.timeOrigin + (serverNow - Date.now())
}
