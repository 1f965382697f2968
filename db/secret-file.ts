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
 * and two first starts at once keep one secret between them (link, unlike rename, fails when the
 * name exists). An empty file is such a failed first write and is made again; anything else
 * shorter than `minLength` characters, or a name that is not a regular file, is a SecretFileError.
 */
export function readOrCreateSecretFile(file: string, minLength = 32) {
  const dir = path.dirname(file)
  for (let attempt = 0; ; attempt++) {
    const existing = readSecretFile(file, minLength)
    if (existing !== undefined) return existing
    fs.mkdirSync(dir, { recursive: true })
    const secret = randomBytes(48).toString('base64url')
    const temporary = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`
    try {
      const fd = fs.openSync(temporary, 'wx', 0o600)
      try {
        fs.writeFileSync(fd, secret)
        fs.fsyncSync(fd)
      } finally {
        fs.closeSync(fd)
      }
      fs.linkSync(temporary, file)
      return secret
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error
    } finally {
      fs.rmSync(temporary, { force: true })
    }
  }
}

/** The secret the file holds; undefined when there is none yet (no file, or an empty one, removed). */
export function readSecretFile(file: string, minLength = 32) {
  let stat: fs.Stats
  try {
    stat = fs.statSync(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  if (!stat.isFile()) throw new SecretFileError(`${file} is not a regular file`)
  if (stat.size === 0) {
    // A first start that failed while writing it (before secrets were linked into place). Moved
    // aside rather than removed: if another start linked its secret there meanwhile, it goes back.
    const aside = `${file}.empty-${process.pid}-${randomBytes(6).toString('hex')}`
    try {
      fs.renameSync(file, aside)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    try {
      if (fs.statSync(aside).size > 0) fs.linkSync(aside, file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    } finally {
      fs.rmSync(aside, { force: true })
    }
    return undefined
  }
  const secret = fs.readFileSync(file, 'utf8').trim()
  if (secret.length < minLength) {
    throw new SecretFileError(`${file} holds a secret shorter than ${minLength} characters`)
  }
  return secret
}
