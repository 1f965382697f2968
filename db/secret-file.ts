import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

/** A secret file that is there but cannot be used; the caller says what to do about it. */
export class SecretFileError extends Error {}

/**
 * The secret `file` holds, made on first use (48 random bytes, base64url, mode 600): the local
 * profile's session secret and the embedded PostgreSQL's password. It is written to a file of its
 * own in the same directory, synced and linked into place, so the name never holds a partial
 * secret (a full disk once left the session secret empty, and the next start signed with `""`),
 * and first starts at once keep one secret between them (link, unlike rename, fails when the name
 * exists). An empty file is such a failed first write and is replaced (`replaceEmptySecret`);
 * anything else shorter than `minLength` characters, or a name that is not a regular file, is a
 * SecretFileError.
 */
export function readOrCreateSecretFile(file: string, minLength = 32) {
  return runSteps(secretFileSteps(file, minLength))
}

/** The secret the file holds; undefined when there is none yet (no file, or an empty one). */
export function readSecretFile(file: string, minLength = 32) {
  const stat = statSecretFile(file)
  if (stat === undefined || stat.size === 0n) return undefined
  return readSecret(file, minLength)
}

/**
 * readOrCreateSecretFile as steps: it yields before each filesystem call another start could race
 * with, so `tests/unit/secret-file.test.ts` can run several starts in every order of those calls.
 * Nothing ever removes or moves a name that held a secret: the name goes from missing to a secret
 * (link) or from empty to a secret (rename, every start that saw that empty file renaming the same
 * secret), and then stays. Before, an empty file was moved aside and a start that had seen it
 * empty could move another start's secret aside too: a third start linked its own meanwhile, and
 * the second start kept signing with a secret the file no longer held.
 */
export function* secretFileSteps(file: string, minLength = 32): Generator<void, string> {
  for (let attempt = 0; ; attempt++) {
    yield
    const stat = statSecretFile(file)
    if (stat === undefined) {
      const secret = yield* linkNewSecret(file)
      if (secret !== undefined) return secret
    } else if (stat.size > 0n) {
      yield
      return readSecret(file, minLength)
    } else {
      return yield* replaceEmptySecret(file, stat, minLength)
    }
    // Another start linked its secret there between our look and our link: read it.
    if (attempt > 2) throw new Error(`${file} keeps disappearing`)
  }
}

/** Links a new secret in at `name`; undefined when the name exists (another start's). */
function* linkNewSecret(name: string): Generator<void, string | undefined> {
  const temporary = privateFileWith(name, randomBytes(48).toString('base64url'))
  try {
    yield
    fs.linkSync(temporary.path, name)
    return temporary.secret
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined
    throw error
  } finally {
    fs.rmSync(temporary.path, { force: true })
  }
}

/**
 * Replaces the empty `file` (a first write that failed, before secrets were linked into place).
 * Every start that saw this empty file (the same inode and modification time) first agrees on
 * one secret: the first to link a secret at `<file>.empty-<inode>-<mtime>` sets it, the others
 * read it there. Then each renames a link of that secret over the file, so whichever rename comes
 * last, the file holds the secret every one of them uses. The agreed file stays: a start that saw
 * the empty file but is only now getting to it must find the same secret, however late it is.
 */
function* replaceEmptySecret(
  file: string,
  empty: fs.BigIntStats,
  minLength: number,
): Generator<void, string> {
  const agreed = `${file}.empty-${empty.ino}-${empty.mtimeNs}`
  yield* linkNewSecret(agreed)
  yield
  const secret = readSecret(agreed, minLength)
  const ours = privateName(file)
  yield
  fs.linkSync(agreed, ours)
  try {
    yield
    fs.renameSync(ours, file)
  } finally {
    fs.rmSync(ours, { force: true })
  }
  return secret
}

function statSecretFile(file: string) {
  let stat: fs.BigIntStats
  try {
    stat = fs.statSync(file, { bigint: true })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  if (!stat.isFile()) throw new SecretFileError(`${file} is not a regular file`)
  return stat
}

function readSecret(file: string, minLength: number) {
  const secret = fs.readFileSync(file, 'utf8').trim()
  if (secret.length < minLength) {
    throw new SecretFileError(`${file} holds a secret shorter than ${minLength} characters`)
  }
  return secret
}

/** A name beside `file` no other start uses. */
function privateName(file: string) {
  return `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`
}

/** `secret` in a new file beside `name`, synced, mode 600, that no other start can see yet. */
function privateFileWith(name: string, secret: string) {
  fs.mkdirSync(path.dirname(name), { recursive: true })
  const temporary = privateName(name)
  const fd = fs.openSync(temporary, 'wx', 0o600)
  try {
    fs.writeFileSync(fd, secret)
    fs.fsyncSync(fd)
  } catch (error) {
    fs.closeSync(fd)
    fs.rmSync(temporary, { force: true })
    throw error
  }
  fs.closeSync(fd)
  return { path: temporary, secret }
}

function runSteps<T>(steps: Generator<void, T>) {
  for (;;) {
    const next = steps.next()
    if (next.done) return next.value
  }
}
