import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { eq, sql } from 'drizzle-orm'
import { fileRemovalHooks, PENDING_GRACE_MS, sweepPendingUploads } from '#app/http/upload-holds.server.ts'
import { cleanupOrphanFiles } from '#app/jobs/files-cleanup.server.ts'
import { pathFor, storeStream } from '#app/integrations/storage.server.ts'
import { filesBefore } from '#app/http/uploads.server.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { getDb } from '#db/client.ts'
import { asAnotherRequest } from '#db/pool.ts'
import { attachments, messages, tickets } from '#db/schema.ts'
import { listMailboxes } from '#db/queries/mailboxes.ts'
import { createTicket } from '#app/domain/tickets.server.ts'
import { takeSlot } from '#app/domain/rate-limit.server.ts'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import { callAction } from '#tests/helpers/routes.ts'
import { outboundEmailLimit } from '#app/domain/outbound-email-limit.server.ts'
import { createMember, createTicketFor, type TestMember } from '#tests/helpers/factories.ts'
import { holdTransaction, lockWaiters } from '#tests/helpers/held-transaction.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { until, waitFor } from '#tests/helpers/wait.ts'

// What a refused upload leaves in DATA_DIR/files, counted file by file: files arrive while the
// form streams in, before it is judged, so every way a form can be refused must take them back,
// and a process that dies before judging must have them swept at its next start.
const dataDir = vi.hoisted(() => {
  const nodeFs = process.getBuiltinModule('node:fs')
  const nodePath = process.getBuiltinModule('node:path')
  const nodeOs = process.getBuiltinModule('node:os')
  const dir = nodeFs.mkdtempSync(nodePath.join(nodeOs.tmpdir(), 'switchboard-upload-refusals-'))
  process.env.DATA_DIR = dir
  // A stalled body is cut at 1 s instead of 30.
  process.env.HTTP_BODY_TIMEOUT_MS = '1000'
  return dir
})

let server: Awaited<ReturnType<typeof startTestServer>>
let workspace: { id: string; slug: string }
let owner: TestMember
let ip = 0

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
  server = await startTestServer({ sockets: false })
  owner = await createMember('owner')
  workspace = { id: owner.workspace.id, slug: owner.workspace.slug }
})
afterAll(async () => {
  await server?.close()
  await stopQueue()
  fs.rmSync(dataDir, { recursive: true, force: true })
})

/** Every file under DATA_DIR/files: stored content, interrupted uploads, pending markers. */
function filesOnDisk(): string[] {
  const root = path.join(dataDir, 'files')
  if (!fs.existsSync(root)) return []
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort()
}

const valid = () => ({
  name: 'Robin Buyer',
  email: `robin-${randomBytes(4).toString('hex')}@example.org`,
  subject: 'Broken parcel',
  message: 'It arrived broken.',
})

function post(
  fields: Record<string, string>,
  files: Array<{ name: string; content: Buffer; type?: string }>,
  { from = `198.51.100.${++ip}`, to = `/support/${workspace.slug}` } = {},
) {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  for (const f of files) form.append('files', new File([new Uint8Array(f.content)], f.name, { type: f.type }))
  return fetch(`${server.url}${to}`, {
    method: 'POST',
    body: form,
    redirect: 'manual',
    headers: { origin: server.url, 'x-forwarded-for': from },
  })
}

/**
 * A multipart post that announces `announced` bytes, sends its fields and `fileBytes` of a file,
 * then stops: `cut()` drops the connection, and otherwise the server's body deadline answers.
 */
function partialUpload(fileBytes: number, announced = 5_000_000) {
  const boundary = `----refusal${randomBytes(6).toString('hex')}`
  const fields = Object.entries(valid())
    .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
    .join('')
  const head = `${fields}--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n`
  const request = http.request(`${server.url}/support/${workspace.slug}`, {
    method: 'POST',
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(announced),
      origin: server.url,
      'x-forwarded-for': `198.51.100.${++ip}`,
    },
  })
  request.on('error', () => {})
  const answer = new Promise<number>((resolve) => {
    request.on('response', (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
    request.on('close', () => resolve(0))
  })
  const sent = new Promise<void>((resolve) =>
    request.write(Buffer.concat([Buffer.from(head), randomBytes(fileBytes)]), () => resolve()),
  )
  return { answer, sent, cut: () => request.destroy() }
}

/**
 * Every file under DATA_DIR/files once each request this process served has decided its uploads:
 * what a case reads as its "before". A request's end (atEndOfRequest: removing what no row names,
 * then its pending marker) runs after its answer, so an earlier case's upload may still be
 * pending when the next case starts, and then go while that case runs, as if it had removed it
 * (CI once). Its marker names this process (markers of other processes, such as the one an
 * earlier case keeps on purpose for another host, are no request of ours: not waited for).
 */
async function settledFilesOnDisk(): Promise<string[]> {
  const ours = (file: string) => {
    try {
      const marker = JSON.parse(fs.readFileSync(file, 'utf8')) as { host?: string; pid?: number }
      return marker.host === os.hostname() && marker.pid === process.pid
    } catch {
      return false // removed while it was read
    }
  }
  const undecided = () => filesOnDisk().filter((f) => f.includes(`${path.sep}pending${path.sep}`) && ours(f))
  await until(undecided, (left) => left.length === 0)
  return filesOnDisk()
}

/** Waits until the files on disk are `expected` again (a request's end runs after its answer). */
async function expectFilesBack(expected: string[]) {
  await until(filesOnDisk, (now) => now.join('\n') === expected.join('\n'), 5_000).catch(() => undefined)
  expect(filesOnDisk()).toEqual(expected)
}

describe('a refused upload leaves no file on disk', () => {
  it('refused for an executable among its files', async () => {
    const before = await settledFilesOnDisk()
    const answer = await post(valid(), [
      { name: 'photo.jpg', content: randomBytes(50_000) },
      { name: 'setup.exe', content: randomBytes(50_000) },
    ])
    expect(answer.status).toBe(400)
    await expectFilesBack(before)
  })

  it.each([
    { refused: 'by its name', file: { name: 'setup.exe', type: 'application/pdf' } },
    { refused: 'by its declared type', file: { name: 'invoice.pdf', type: 'application/x-msdownload' } },
  ])('refused $refused before a byte of it is written', async ({ file }) => {
    const tmp = path.join(dataDir, 'files', 'tmp')
    fs.mkdirSync(tmp, { recursive: true })
    const before = await settledFilesOnDisk()
    // A file created and removed in tmp/ changes the directory's modification time.
    const tmpChanged = fs.statSync(tmp).mtimeMs
    const answer = await post(valid(), [{ ...file, content: randomBytes(2_000_000) }])
    expect(answer.status).toBe(400)
    expect(await answer.text()).toContain(`${file.name}: executable files are not allowed`)
    await expectFilesBack(before)
    expect(fs.statSync(tmp).mtimeMs).toBe(tmpChanged)
  })

  it('refused for more than 10 files', async () => {
    const before = await settledFilesOnDisk()
    const files = Array.from({ length: 11 }, (_, i) => ({
      name: `scan-${i}.pdf`,
      content: randomBytes(20_000),
    }))
    const answer = await post(valid(), files)
    expect(answer.status).toBe(400)
    expect(await answer.text()).toContain('Attach at most 10 files')
    await expectFilesBack(before)
  })

  it('refused for more than 25 MB together', async () => {
    const before = await settledFilesOnDisk()
    const answer = await post(valid(), [
      { name: 'a.pdf', content: randomBytes(13_300_000) },
      { name: 'b.pdf', content: randomBytes(13_300_000) },
    ])
    expect(answer.status).toBe(400)
    await expectFilesBack(before)
  })

  it('refused for a field', async () => {
    const before = await settledFilesOnDisk()
    const answer = await post({ ...valid(), email: 'not an address' }, [
      { name: 'a.pdf', content: randomBytes(200_000) },
      { name: 'b.pdf', content: randomBytes(200_000) },
    ])
    expect(answer.status).toBe(400)
    await expectFilesBack(before)
  })

  it('cut off by its client in the middle of a file', async () => {
    const before = await settledFilesOnDisk()
    const upload = partialUpload(1_000_000)
    await upload.sent
    // The file has started: its temporary file is on disk.
    await waitFor(() => filesOnDisk().length > before.length, 5_000)
    upload.cut()
    await expectFilesBack(before)
  })

  it('cut off by the body deadline (408) with a whole file stored and the next one started', async () => {
    const before = await settledFilesOnDisk()
    const boundary = `----deadline${randomBytes(6).toString('hex')}`
    const whole = randomBytes(30_000)
    // The form's fields first, as a browser sends them (a file before the email is refused unwritten).
    const fields = Object.entries(valid())
      .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
      .join('')
    const body = Buffer.concat([
      Buffer.from(
        `${fields}--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="whole.pdf"\r\n\r\n`,
      ),
      whole,
      Buffer.from(
        `\r\n--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="half.pdf"\r\n\r\n`,
      ),
      randomBytes(10_000),
    ])
    const request = http.request(`${server.url}/support/${workspace.slug}`, {
      method: 'POST',
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(body.length + 5_000_000),
        origin: server.url,
        'x-forwarded-for': `198.51.100.${++ip}`,
      },
    })
    request.on('error', () => {})
    const status = new Promise<number>((resolve) => {
      request.on('response', (response) => {
        response.resume()
        resolve(response.statusCode ?? 0)
      })
    })
    request.write(body)
    // The whole file reached its content address before the deadline.
    await waitFor(() => fs.existsSync(pathFor(createHash('sha256').update(whole).digest('hex'))), 5_000)
    expect(await status).toBe(408)
    await expectFilesBack(before)
    request.destroy()
  })
})

describe('a form whose client leaves before the answer', () => {
  it('keeps the files of the ticket its action still creates', async () => {
    const content = randomBytes(200_000)
    const sha256 = createHash('sha256').update(content).digest('hex')
    const subject = `Left early ${randomBytes(3).toString('hex')}`
    // A teammate's transaction holds the workspace row: the form's ticket waits to commit.
    const held = await holdTransaction((tx) =>
      tx.execute(sql`select id from workspaces where id = ${workspace.id} for update`),
    )
    const leaving = new AbortController()
    const form = new FormData()
    for (const [name, value] of Object.entries({ ...valid(), subject })) form.append(name, value)
    form.append('files', new File([new Uint8Array(content)], 'receipt.pdf'))
    const answer = fetch(`${server.url}/support/${workspace.slug}`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
      signal: leaving.signal,
      headers: { origin: server.url, 'x-forwarded-for': `198.51.100.${++ip}` },
    }).catch(() => 'gone')
    // The file is stored and the action waits for the row: the client goes away.
    await lockWaiters(1, held)
    expect(fs.existsSync(pathFor(sha256))).toBe(true)
    leaving.abort()
    expect(await answer).toBe('gone')
    // Long enough for the server to see the connection close and run what waits for it.
    await new Promise((resolve) => setTimeout(resolve, 300))
    await held.commit()
    const [ticket] = await until(
      () => getDb().select({ id: tickets.id }).from(tickets).where(eq(tickets.subject, subject)),
      (rows) => rows.length === 1,
      5_000,
    )
    const rows = await getDb()
      .select({ sha256: attachments.sha256 })
      .from(attachments)
      .innerJoin(messages, eq(messages.id, attachments.messageId))
      .where(eq(messages.ticketId, ticket!.id))
    expect(rows.map((r) => r.sha256)).toEqual([sha256])
    // The request lets go of its upload once its action has ended, after the commit: on a busy
    // machine that can be later than the ticket's appearance (a fixed 300 ms wait failed once).
    const pending = () => filesOnDisk().filter((f) => f.includes(`${path.sep}pending${path.sep}`))
    await until(pending, (left) => left.length === 0, 5_000).catch(() => undefined)
    expect(pending()).toEqual([])
    // The ticket names it: downloading it must work.
    expect(fs.existsSync(pathFor(sha256))).toBe(true)
  })
})

describe('files of a process that died before judging its uploads', () => {
  const pendingDir = () => path.join(dataDir, 'files', 'pending')
  /** A file stored as an upload stores it, with the marker a request of `pid` on `host` leaves. */
  async function strandedUpload(marker: { host: string; pid: number }, ageMs = 0) {
    const content = randomBytes(10_000)
    const { sha256 } = await storeStream(Readable.from([content]), 1_000_000)
    fs.mkdirSync(pendingDir(), { recursive: true })
    const file = path.join(pendingDir(), `${sha256}.${randomBytes(6).toString('hex')}`)
    fs.writeFileSync(file, JSON.stringify(marker))
    if (ageMs > 0) {
      const then = new Date(Date.now() - ageMs)
      fs.utimesSync(pathFor(sha256), then, then)
      fs.utimesSync(file, then, then)
    }
    return { sha256, marker: file }
  }
  /** A process id that no longer runs. */
  function deadPid() {
    return spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
  }

  it('removes them at the next start, keeps what a row names, and waits on a live process', async () => {
    const dead = await strandedUpload({ host: os.hostname(), pid: Number(deadPid()) })
    const named = await strandedUpload({ host: os.hostname(), pid: Number(deadPid()) })
    // A ticket names this one: the process died after its action committed, before the end.
    const [mailbox] = await listMailboxes(getDb(), { workspaceId: workspace.id })
    const created = await createTicket(
      { workspaceId: workspace.id, userId: null },
      {
        mailboxId: mailbox!.id,
        customerEmail: 'kept@example.net',
        customerName: 'Kim Kept',
        subject: 'With a file',
        body: 'See attached.',
        channel: 'web',
        files: [{ filename: 'kept.pdf', contentType: 'application/pdf', size: 10_000, sha256: named.sha256 }],
      },
    )
    expect(created.kind).toBe('created')
    // Another instance on a shared volume, still within the grace: its request may yet commit.
    const elsewhere = await strandedUpload({ host: 'another-host', pid: 1 })
    const elsewhereOld = await strandedUpload({ host: 'another-host', pid: 1 }, PENDING_GRACE_MS + 60_000)
    const interrupted = path.join(dataDir, 'files', 'tmp', randomBytes(12).toString('hex'))
    fs.writeFileSync(interrupted, 'half an upload')
    const old = new Date(Date.now() - PENDING_GRACE_MS - 60_000)
    fs.utimesSync(interrupted, old, old)

    await sweepPendingUploads()

    expect(fs.existsSync(pathFor(dead.sha256))).toBe(false)
    expect(fs.existsSync(dead.marker)).toBe(false)
    expect(fs.existsSync(pathFor(named.sha256))).toBe(true)
    expect(fs.existsSync(named.marker)).toBe(false)
    expect(fs.existsSync(pathFor(elsewhere.sha256))).toBe(true)
    expect(fs.existsSync(elsewhere.marker)).toBe(true)
    expect(fs.existsSync(pathFor(elsewhereOld.sha256))).toBe(false)
    expect(fs.existsSync(interrupted)).toBe(false)
  })
})

describe('the same bytes stored by another instance while a refused upload removes its copy', () => {
  /**
   * Another instance (an independent caller over the same database and file store: it stores
   * with storeStream, unseen by this process's holds, and commits its own ticket) uploading the
   * same bytes as a refused form, at the moment that form's request removes its copy.
   */
  async function anotherInstanceStores(content: Buffer) {
    const { sha256 } = await storeStream(Readable.from([content]), 1_000_000)
    return { sha256, commit: () => otherInstanceCommits(sha256, content.length) }
  }
  /** The other instance's ticket, naming the file, committed. */
  async function otherInstanceCommits(sha256: string, size: number) {
    const [mailbox] = await listMailboxes(getDb(), { workspaceId: workspace.id })
    const created = await createTicket(
      { workspaceId: workspace.id, userId: null },
      {
        mailboxId: mailbox!.id,
        customerEmail: `other-${randomBytes(3).toString('hex')}@example.net`,
        customerName: 'Oda Other',
        subject: 'Through another instance',
        body: 'Same file.',
        channel: 'web',
        files: [{ filename: 'same.pdf', contentType: 'application/pdf', size, sha256 }],
      },
    )
    expect(created.kind).toBe('created')
  }
  const pendingMarkers = (sha256: string) =>
    filesOnDisk().filter((f) => f.includes(`${path.sep}pending${path.sep}${sha256}.`))
  const setAside = () => filesOnDisk().filter((f) => f.endsWith('.removing'))

  it.each([
    { when: 'its ticket commits while the removal is under way', commitInHook: true },
    { when: 'its ticket commits after the removal (a reference still in flight)', commitInHook: false },
  ])('keeps the file the other instance stored when $when', async ({ commitInHook }) => {
    const content = randomBytes(120_000)
    const sha256 = createHash('sha256').update(content).digest('hex')
    let other: Awaited<ReturnType<typeof anotherInstanceStores>> | undefined
    // The refused form's end holds the address's lock and found no row naming it: now the other
    // instance stores the same bytes (and, in the first case, commits its ticket).
    fileRemovalHooks.beforeRemoving = async (sha) => {
      if (sha !== sha256) return
      // Another instance: its own connections, not the removal's transaction's.
      other = await asAnotherRequest(() => anotherInstanceStores(content))
      if (commitInHook) await asAnotherRequest(() => other!.commit())
    }
    try {
      const answer = await post({ ...valid(), email: 'not an address' }, [{ name: 'same.pdf', content }])
      expect(answer.status).toBe(400)
      // The refused request's end has decided: its marker is gone.
      await until(
        () => pendingMarkers(sha256),
        (left) => left.length === 0,
        5_000,
      )
      expect(other?.sha256).toBe(sha256)
    } finally {
      fileRemovalHooks.beforeRemoving = undefined
    }
    if (!commitInHook) await other!.commit()
    // The other instance's ticket names the file: it is there, whole.
    const named = await getDb()
      .select({ id: attachments.id })
      .from(attachments)
      .where(eq(attachments.sha256, sha256))
    expect(named).toHaveLength(1)
    expect(fs.readFileSync(pathFor(sha256)).equals(content)).toBe(true)
    expect(setAside()).toEqual([])
  })

  it('keeps the file for another instance whose earlier copy the refused form replaced, until it commits', async () => {
    const content = randomBytes(90_000)
    const sha256 = createHash('sha256').update(content).digest('hex')
    // Another instance stored the same bytes a moment before and has not committed its ticket:
    // its marker (written before its rename) names a copy the refused form's rename replaced. A
    // live process of this host that is not this one stands for it.
    const theirs = path.join(dataDir, 'files', 'pending', `${sha256}.otherinstance`)
    fs.mkdirSync(path.dirname(theirs), { recursive: true })
    fs.writeFileSync(theirs, JSON.stringify({ host: os.hostname(), pid: process.ppid, dev: '1', ino: '1' }))
    const removing: string[] = []
    fileRemovalHooks.beforeRemoving = async (sha) => void removing.push(sha)
    try {
      const answer = await post({ ...valid(), email: 'not an address' }, [{ name: 'both.pdf', content }])
      expect(answer.status).toBe(400)
      // The refused form's end decided (its own marker is gone, only the other's is left).
      await until(
        () => pendingMarkers(sha256),
        (left) => left.length === 1,
        5_000,
      )
    } finally {
      fileRemovalHooks.beforeRemoving = undefined
    }
    expect(removing).toEqual([sha256])
    expect(fs.readFileSync(pathFor(sha256)).equals(content)).toBe(true)
    // The other instance commits its ticket and its request ends: the file it names is there.
    await otherInstanceCommits(sha256, content.length)
    fs.rmSync(theirs)
    expect(fs.readFileSync(pathFor(sha256)).equals(content)).toBe(true)
    expect(setAside()).toEqual([])
  })

  it("still removes the refused form's own copy when nobody stored the bytes again", async () => {
    const before = await settledFilesOnDisk()
    const content = randomBytes(120_000)
    const sha256 = createHash('sha256').update(content).digest('hex')
    const removing: string[] = []
    fileRemovalHooks.beforeRemoving = async (sha) => void removing.push(sha)
    try {
      const answer = await post({ ...valid(), email: 'not an address' }, [{ name: 'alone.pdf', content }])
      expect(answer.status).toBe(400)
      await expectFilesBack(before)
    } finally {
      fileRemovalHooks.beforeRemoving = undefined
    }
    expect(removing).toEqual([sha256])
  })

  it('the nightly cleanup keeps an old unnamed file that another instance stores again meanwhile', async () => {
    const content = randomBytes(50_000)
    const { sha256 } = await storeStream(Readable.from([content]), 1_000_000)
    const dayAgo = new Date(Date.now() - 25 * 60 * 60 * 1000)
    fs.utimesSync(pathFor(sha256), dayAgo, dayAgo)
    let other: Awaited<ReturnType<typeof anotherInstanceStores>> | undefined
    fileRemovalHooks.beforeRemoving = async (sha) => {
      if (sha === sha256) other = await anotherInstanceStores(content)
    }
    try {
      await cleanupOrphanFiles()
    } finally {
      fileRemovalHooks.beforeRemoving = undefined
    }
    expect(other?.sha256).toBe(sha256)
    await other!.commit()
    expect(fs.readFileSync(pathFor(sha256)).equals(content)).toBe(true)
    expect(setAside()).toEqual([])
  })
})

describe('a post whose rate limit is already spent', () => {
  const tmp = path.join(dataDir, 'files', 'tmp')
  /**
   * What is on disk once earlier requests have decided their uploads, and tmp/'s modification
   * time: a file created and removed there changes it.
   */
  async function diskNow() {
    fs.mkdirSync(tmp, { recursive: true })
    const files = await settledFilesOnDisk()
    return { files, tmpChanged: fs.statSync(tmp).mtimeMs }
  }
  /** Nothing was written: the same files, and tmp/ untouched (not even a file written and removed). */
  async function expectNothingWritten(before: Awaited<ReturnType<typeof diskNow>>) {
    await expectFilesBack(before.files)
    expect(fs.statSync(tmp).mtimeMs).toBe(before.tmpChanged)
  }
  const limitMessage = 'We have received several requests from you in the last few minutes.'
  /** Five accepted posts (no files) spend the form's limit for `from` and/or `email`. */
  async function spendSupportLimit(posts: Array<{ from: string; email: string }>) {
    for (const [i, p] of posts.entries()) {
      const answer = await post({ ...valid(), email: p.email, subject: `Spent ${i}` }, [], { from: p.from })
      expect(answer.status).toBe(302)
    }
  }

  it('support form, per address: 429 with the message and the typed values, no file written', async () => {
    const from = '203.0.113.77'
    await spendSupportLimit(Array.from({ length: 5 }, () => ({ from, email: valid().email })))
    const before = await diskNow()
    const typed = { ...valid(), subject: 'Sixth request, typed by hand' }
    const answer = await post(typed, [{ name: 'photo.jpg', content: randomBytes(2_000_000) }], { from })
    expect(answer.status).toBe(429)
    const page = await answer.text()
    expect(page).toContain(limitMessage)
    expect(page).toContain('Sixth request, typed by hand')
    expect(page).toContain(typed.email)
    // Named to attach again, as any refused form's files.
    expect(page).toContain('photo.jpg')
    await expectNothingWritten(before)
  })

  it('support form, per email address from a fresh address: 429, no file written', async () => {
    const email = valid().email
    await spendSupportLimit(Array.from({ length: 5 }, (_, i) => ({ from: `203.0.113.${100 + i}`, email })))
    const before = await diskNow()
    const answer = await post({ ...valid(), email }, [{ name: 'scan.pdf', content: randomBytes(500_000) }], {
      from: '203.0.113.120',
    })
    expect(answer.status).toBe(429)
    expect(await answer.text()).toContain(limitMessage)
    await expectNothingWritten(before)
  })

  it('support form, a hand-made post with its files before the email: 400 naming the field, no file written', async () => {
    // The email's limit is spent; its posts came from elsewhere, so the address alone would admit.
    const email = valid().email
    await spendSupportLimit(Array.from({ length: 5 }, (_, i) => ({ from: `203.0.113.${130 + i}`, email })))
    const before = await diskNow()
    const typed = { ...valid(), email, subject: 'Files first, by hand' }
    const form = new FormData()
    for (const name of ['name', 'subject', 'message'] as const) form.append(name, typed[name])
    form.append('files', new File([new Uint8Array(randomBytes(1_000_000))], 'first.pdf'))
    form.append('email', typed.email)
    const answer = await fetch(`${server.url}/support/${workspace.slug}`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
      headers: { origin: server.url, 'x-forwarded-for': '203.0.113.139' },
    })
    expect(answer.status).toBe(400)
    const page = await answer.text()
    expect(page).toContain(filesBefore('email'))
    expect(page).toContain('Files first, by hand')
    await expectNothingWritten(before)

    // In the form's own order, from an address within its limit: a ticket with its file.
    const content = randomBytes(1_000)
    const ordered = await post({ ...valid(), subject: 'Email first' }, [{ name: 'first.pdf', content }], {
      from: '203.0.113.138',
    })
    expect(ordered.status).toBe(302)
    // Its request's end has decided (its pending marker is gone): the next test counts files.
    const sha256 = createHash('sha256').update(content).digest('hex')
    await until(filesOnDisk, (now) => !now.some((f) => f.includes(`${path.sep}pending${path.sep}${sha256}.`)))
    expect(fs.existsSync(pathFor(sha256))).toBe(true)
  })

  it('support form: a copy of the last accepted post is still answered with its ticket, no file written', async () => {
    const from = '203.0.113.140'
    await spendSupportLimit(Array.from({ length: 4 }, () => ({ from, email: valid().email })))
    const content = randomBytes(300_000)
    const last = { ...valid(), subject: 'The fifth, with a file' }
    const accepted = await post(last, [{ name: 'receipt.pdf', content }], { from })
    expect(accepted.status).toBe(302)
    const sha256 = createHash('sha256').update(content).digest('hex')
    // The accepted request's end has decided (its pending marker is gone).
    await until(filesOnDisk, (now) => !now.some((f) => f.includes(`${path.sep}pending${path.sep}${sha256}.`)))
    const before = await diskNow()
    // Sent again (a browser resending it): the limit is spent, the post is the same.
    const again = await post(last, [{ name: 'receipt.pdf', content }], { from })
    expect(again.status).toBe(302)
    expect(again.headers.get('location')).toBe(accepted.headers.get('location'))
    await expectNothingWritten(before)
    expect(fs.existsSync(pathFor(sha256))).toBe(true)
  })

  it('support form: parallel posts with files for the last slot make one ticket; the others leave nothing', async () => {
    const from = '203.0.113.160'
    await spendSupportLimit(Array.from({ length: 4 }, () => ({ from, email: valid().email })))
    const before = await settledFilesOnDisk()
    const contents = Array.from({ length: 4 }, () => randomBytes(200_000))
    const subject = `Last slot ${randomBytes(3).toString('hex')}`
    const answers = await Promise.all(
      contents.map((content, i) =>
        post({ ...valid(), subject: `${subject} ${i}` }, [{ name: `part-${i}.pdf`, content }], { from }),
      ),
    )
    const statuses = answers.map((a) => a.status).sort()
    expect(statuses).toEqual([302, 429, 429, 429])
    const made = await getDb()
      .select({ sha256: attachments.sha256 })
      .from(attachments)
      .innerJoin(messages, eq(messages.id, attachments.messageId))
      .innerJoin(tickets, eq(tickets.id, messages.ticketId))
      .where(sql`${tickets.subject} like ${`${subject}%`}`)
    expect(made).toHaveLength(1)
    // Only the accepted post's file is kept (refused ones that got past the peek are removed).
    await expectFilesBack([...before, pathFor(made[0]!.sha256)].sort())
  })

  it("customer link: a reply over the ticket's limit gets 429 and the typed text, no file written", async () => {
    const ticket = await createTicketFor(owner)
    const token = new URL(ticket.customerLink).pathname.split('/').pop()!
    const to = `/support/t/${token}`
    // The ticket's 20 replies in ten minutes, each a different text (a repeat takes no slot).
    for (let i = 0; i < 20; i++) {
      const answer = await post({ message: `Reply number ${i}` }, [], { to })
      expect(answer.status).toBe(302)
    }
    const before = await diskNow()
    const answer = await post(
      { message: 'One more, typed by hand' },
      [{ name: 'log.txt', content: randomBytes(1_000_000) }],
      {
        to,
      },
    )
    expect(answer.status).toBe(429)
    const page = await answer.text()
    expect(page).toContain('You have sent many replies in the last few minutes.')
    expect(page).toContain('One more, typed by hand')
    await expectNothingWritten(before)
  })

  describe("ticket page: a reply over the workspace's hourly customer emails", () => {
    /** An agent of a workspace whose hour of customer emails is spent, and a ticket of it. */
    async function spentWorkspace() {
      const agent = await createMember('owner')
      const ticket = await createTicketFor(agent)
      const limit = outboundEmailLimit(true)
      const spent = await takeSlot(`outbound-email:${agent.workspace.id}`, limit, limit.max)
      expect(spent.allowed).toBe(true)
      return { agent, ticket, to: `/w/${agent.workspace.slug}/tickets/${ticket.number}` }
    }
    /** The composer's form: its fields, then its files, then the button (as a browser sends it). */
    function composerPost(fields: Array<[string, string]>, files: Array<{ name: string; content: Buffer }>) {
      const form = new FormData()
      for (const [name, value] of fields) form.append(name, value)
      for (const f of files) form.append('files', new File([new Uint8Array(f.content)], f.name))
      form.append('intent', 'reply')
      return form
    }
    function reply(
      agent: TestMember,
      to: string,
      fields: Array<[string, string]>,
      files: Array<{ name: string; content: Buffer }>,
    ) {
      return fetch(`${server.url}${to}`, {
        method: 'POST',
        body: composerPost(fields, files),
        redirect: 'manual',
        headers: { origin: server.url, cookie: agent.cookie },
      })
    }
    /** The same post to the action itself: its data and headers as the page gets them. */
    function replyAction(agent: TestMember, number: number, form: FormData) {
      const slug = agent.workspace.slug
      return callAction(ticketRoute, `/w/${slug}/tickets/${number}`, form, {
        cookie: agent.cookie,
        params: { slug, number: String(number) },
      })
    }
    const composer = (body: string): Array<[string, string]> => [
      ['kind', 'reply'],
      ['body', body],
      ['ccShown', '1'],
      ['cc', ''],
      ['bcc', ''],
    ]

    it('429 with the message, Retry-After, the draft and the files named again; no file written', async () => {
      const { agent, ticket } = await spentWorkspace()
      // Today's refusal of a reply without files, which writes nothing anyway.
      const plain = await replyAction(agent, ticket.number, composerPost(composer('No file'), []))
      expect(plain.status).toBe(429)
      const before = await diskNow()
      const answer = await replyAction(
        agent,
        ticket.number,
        composerPost(composer('Here is the invoice you asked for'), [
          { name: 'invoice.pdf', content: randomBytes(1_000_000) },
        ]),
      )
      expect(answer.status).toBe(429)
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(answer.data.result.error.body).toEqual(plain.data.result.error.body)
      expect(answer.data.result.error.body[0]).toMatch(
        /^Not sent: this workspace emailed .*your reply is kept\.$/,
      )
      expect(answer.data.result.initialValue.body).toBe('Here is the invoice you asked for')
      expect(answer.data.filesNotKept).toEqual(['invoice.pdf'])
      await expectNothingWritten(before)
    })

    it('a note with files in the same spent hour is written with its file', async () => {
      const { agent, to } = await spentWorkspace()
      const content = randomBytes(50_000)
      const fields = composer('Internal: invoice attached').map(([k, v]): [string, string] =>
        k === 'kind' ? [k, 'note'] : [k, v],
      )
      const answer = await reply(agent, to, fields, [{ name: 'note.pdf', content }])
      expect(answer.status).toBe(302)
      const sha256 = createHash('sha256').update(content).digest('hex')
      expect(fs.readFileSync(pathFor(sha256)).equals(content)).toBe(true)
    })

    it('a hand-made post with its files before the kind, or before its CC or BCC: 400 naming the field, no file written', async () => {
      const { agent, to } = await spentWorkspace()
      type Part = [string, string] | 'file'
      const handMade = async (order: Part[]) => {
        const form = new FormData()
        for (const part of order) {
          if (part === 'file')
            form.append('files', new File([new Uint8Array(randomBytes(20_000))], 'first.pdf'))
          else form.append(...part)
        }
        form.append('intent', 'reply')
        return fetch(`${server.url}${to}`, {
          method: 'POST',
          body: form,
          redirect: 'manual',
          headers: { origin: server.url, cookie: agent.cookie },
        })
      }
      const [kind, body, ...recipients] = composer('Files first')
      const cases: Array<[Part[], string]> = [
        [['file', kind!, body!, ...recipients], 'kind'],
        [[kind!, body!, 'file', ...recipients], 'ccShown'],
        [[kind!, body!, ['ccShown', '1'], ['cc', ''], 'file', ['bcc', 'audit@example.org']], 'bcc'],
      ]
      for (const [order, field] of cases) {
        const before = await diskNow()
        const answer = await handMade(order)
        expect(answer.status, field).toBe(400)
        const page = await answer.text()
        expect(page, field).toContain(filesBefore(field))
        expect(page, field).toContain('Files first')
        await expectNothingWritten(before)
      }
    })

    it('the composer without JavaScript, rendered as a note and sent as a reply (no CC or BCC): sent with its file', async () => {
      const agent = await createMember('owner')
      const ticket = await createTicketFor(agent)
      const content = randomBytes(30_000)
      const answer = await reply(
        agent,
        `/w/${agent.workspace.slug}/tickets/${ticket.number}`,
        [
          ['kind', 'reply'],
          ['body', 'Switched to a reply'],
          ['cannedId', ''],
        ],
        [{ name: 'switched.pdf', content }],
      )
      expect(answer.status).toBe(302)
      const sha256 = createHash('sha256').update(content).digest('hex')
      const [row] = await getDb()
        .select({ filename: attachments.filename })
        .from(attachments)
        .where(eq(attachments.sha256, sha256))
      expect(row?.filename).toBe('switched.pdf')
      expect(fs.readFileSync(pathFor(sha256)).equals(content)).toBe(true)
    })
  })
})
