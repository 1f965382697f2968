import os from 'node:os'

/**
 * Sizes libuv's threadpool, which runs password hashing (async scrypt, 32 MiB and ~50-100 ms of
 * CPU each) alongside file reads, DNS lookups and zlib. With libuv's default of 4 threads, a
 * flood of wrong passwords fills every thread and everything else waits behind it. Libuv reads
 * UV_THREADPOOL_SIZE once, when the pool is first used, so this module is server.ts's FIRST
 * import: nothing of ours has used the pool yet. An operator's own UV_THREADPOOL_SIZE wins.
 *
 * Default: one thread per CPU plus libuv's usual 4, so hashes can use every core while I/O still
 * finds free threads. Memory bound: at most that many scrypts (× 32 MiB) run at once.
 */
export const DEFAULT_THREADPOOL_SIZE = os.availableParallelism() + 4

process.env.UV_THREADPOOL_SIZE ??= String(DEFAULT_THREADPOOL_SIZE)
