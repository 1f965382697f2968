import { AsyncLocalStorage } from 'node:async_hooks'
import pg from 'pg'

/** How long the database may take before a request gives up on it. Unset: wait (scripts, tests). */
export type PoolGuards = {
  /** Opening a connection, or waiting for a free one, fails after this long. */
  connectTimeoutMs?: number
  /**
   * Server side: a statement running longer is cancelled (57014). The client also gives up one
   * second later, for a database that does not answer at all (frozen, partitioned).
   */
  statementTimeoutMs?: number
  /** Server side: a session idle inside a transaction this long is closed (25P03). */
  idleInTransactionTimeoutMs?: number
  /** Told about each lost or failed connection; the pool itself recovers. */
  onConnectionError?: (error: Error) => void
}

const openClients = new WeakMap<pg.Pool, Set<pg.Client>>()

/**
 * A transaction of ours must never wait for a second connection of its own pool while it holds
 * one: with as many such transactions at once as the pool has connections, each would wait for a
 * connection another holds, for ever (until DATABASE_CONNECT_TIMEOUT_MS). The pool is small
 * (twice the CPUs plus one), so that takes only a handful of requests. Tests switch on a check
 * (checkSecondConnections, from tests/helpers/setup-env.ts): every transaction started through
 * `db.transaction` (db/client.ts) runs in a `TransactionHold`, and its pool's second checkout
 * throws SecondConnectionError. Off, it costs nothing; on globalThis, since the server build and
 * the tests each load this module.
 */
type TransactionHold = { pool: pg.Pool | undefined; ended: boolean; outer: TransactionHold | undefined }
const holdStore = globalThis as unknown as {
  __switchboardTransactionHolds?: AsyncLocalStorage<TransactionHold>
}

export class SecondConnectionError extends Error {
  constructor() {
    super(
      'A transaction asked its pool for a second connection while it holds one: as many of these at once as the pool has connections wait for each other for ever. Pass the transaction (tx) to what it calls.',
    )
  }
}

/** Tests: from now on, a transaction's second checkout from its own pool throws. */
export function checkSecondConnections() {
  holdStore.__switchboardTransactionHolds ??= new AsyncLocalStorage()
}

/** Runs one attempt of a transaction (db/client.ts) as a hold the check knows. */
export function watchedTransaction<T>(run: () => Promise<T>): Promise<T> {
  const holds = holdStore.__switchboardTransactionHolds
  if (!holds) return run()
  // A transaction started inside another's callback is that one's second connection too.
  const hold: TransactionHold = { pool: undefined, ended: false, outer: holds.getStore() }
  return holds.run(hold, run).finally(() => {
    hold.ended = true
  })
}

/**
 * Tests that race a transaction against another request on purpose: `run` is that other request,
 * which has its own connection.
 */
export function asAnotherRequest<T>(run: () => T | PromiseLike<T>): Promise<T> {
  const holds = holdStore.__switchboardTransactionHolds
  // Awaited inside: a Drizzle query runs when it is awaited, not when it is built.
  return holds ? holds.exit(async () => await run()) : Promise.resolve(run())
}

function checkSecondConnection(pool: pg.Pool) {
  const hold = holdStore.__switchboardTransactionHolds?.getStore()
  if (!hold || hold.ended) return
  // The transaction's first checkout is its own connection, unless a transaction it runs inside
  // holds one of the same pool.
  if (hold.pool === undefined) {
    for (let outer = hold.outer; outer; outer = outer.outer) {
      if (!outer.ended && outer.pool === pool) throw new SecondConnectionError()
    }
    hold.pool = pool
  } else if (hold.pool === pool) throw new SecondConnectionError()
}

/** Margin between the server's statement timeout and the client's own read timeout. */
const READ_TIMEOUT_MARGIN_MS = 1_000

/**
 * A pg.Pool that survives losing its database.
 *
 * pg-pool listens for errors on idle clients only: a checked-out client (a transaction, a LISTEN)
 * whose connection drops emits an unhandled 'error' that ends the process. Every client here gets
 * a permanent error listener. A checked-out client whose connection ends is released (and
 * discarded) by itself, so a caller that never releases a dead client (drizzle when BEGIN fails,
 * the Socket.IO adapter's LISTEN client) cannot leak pool slots or keep `pool.end()` waiting. A
 * query that times out on the client side closes its connection: the server may still be working
 * on it, and the connection is not reusable.
 */
export function createPool(url: string, max: number, guards: PoolGuards = {}) {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    Client: WatchedClient,
    connectionTimeoutMillis: guards.connectTimeoutMs,
    statement_timeout: guards.statementTimeoutMs,
    query_timeout: guards.statementTimeoutMs ? guards.statementTimeoutMs + READ_TIMEOUT_MARGIN_MS : undefined,
    idle_in_transaction_session_timeout: guards.idleInTransactionTimeoutMs,
    // Notices a silently dropped connection (a proxy or firewall that forgets it) eventually.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  })
  const onError = guards.onConnectionError ?? (() => {})
  // Idle clients: pg-pool already discards them; each client's own listener below reports it.
  pool.on('error', () => {})
  const open = new Set<pg.Client>()
  openClients.set(pool, open)
  pool.on('connect', (client) => {
    open.add(client)
    client.on('error', onError)
  })
  pool.on('remove', (client) => open.delete(client))
  const connect = pool.connect.bind(pool) as (
    callback: (error: Error | undefined, client: pg.PoolClient | undefined, done: () => void) => void,
  ) => void
  // pool.query() checks out through this too (with a callback).
  pool.connect = ((
    callback?: (error: Error | undefined, client?: pg.PoolClient, done?: () => void) => void,
  ) => {
    checkSecondConnection(pool)
    if (callback) {
      connect((error, client, done) => {
        if (client) releaseWhenEnded(client)
        callback(error, client, client ? client.release : done)
      })
      return
    }
    return new Promise<pg.PoolClient>((resolve, reject) => {
      connect((error, client) => {
        if (error || !client) return reject(error ?? new Error('No client'))
        releaseWhenEnded(client)
        resolve(client)
      })
    })
  }) as typeof pool.connect
  return pool
}

/** Makes `release` idempotent and calls it (with an error: discard) if the connection ends first. */
function releaseWhenEnded(client: pg.PoolClient) {
  const release = client.release
  let released = false
  const releaseOnce = (error?: Error | boolean) => {
    if (released) return
    released = true
    client.removeListener('end', onEnd)
    release(error)
  }
  const onEnd = () => releaseOnce(new Error('Connection ended while checked out'))
  client.once('end', onEnd)
  client.release = releaseOnce
}

/** A client that closes its connection when a query times out on the client side. */
class WatchedClient extends pg.Client {
  override query(...args: unknown[]): never {
    const callback = args.at(-1)
    if (typeof callback === 'function') {
      args[args.length - 1] = (error: Error | undefined, result: unknown) => {
        this.dropIfUnanswered(error)
        ;(callback as (error: Error | undefined, result: unknown) => void)(error, result)
      }
    }
    const result = (pg.Client.prototype.query as (...args: unknown[]) => unknown).apply(this, args)
    if (result instanceof Promise) result.catch((error: unknown) => this.dropIfUnanswered(error))
    return result as never
  }

  private dropIfUnanswered(error: unknown) {
    // pg's query_timeout answers the caller but leaves the query on the connection, and every later
    // query on it waits behind that one.
    if (error instanceof Error && error.message === 'Query read timeout') this.connection.stream.destroy()
  }
}

/**
 * Ends a pool within `deadlineMs`, even when the database is gone or a client is stuck: past the
 * deadline, every connection is closed without a goodbye and the pool is left behind.
 */
export async function endPool(pool: pg.Pool, deadlineMs: number) {
  // Connections the pool still holds, idle or checked out (pg-pool keeps no public list of them).
  const clients = [...(openClients.get(pool) ?? [])]
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), deadlineMs)
    timer.unref()
  })
  const ended = pool.ending ? Promise.resolve('ended' as const) : pool.end().then(() => 'ended' as const)
  const outcome = await Promise.race([ended.catch(() => 'ended' as const), deadline])
  clearTimeout(timer)
  if (outcome === 'late') {
    for (const client of clients) client.connection.stream.destroy()
  }
  return outcome
}
