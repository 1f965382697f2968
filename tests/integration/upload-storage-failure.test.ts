import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { count, eq } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { getDb } from '#db/client.ts'
import { attachments, mailboxes, messages, tickets } from '#db/schema.ts'
import { STORAGE_FAILED } from '#app/http/uploads.server.ts'
import { filesDir, StorageError, storeStream } from '#app/integrations/storage.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as supportRoute from '#app/routes/support.$slug._index.tsx'
import * as linkRoute from '#app/routes/support.t.$token.tsx'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import * as newTicketRoute from '#app/routes/w.$slug.tickets.new.tsx'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { file, multipartForm } from '#tests/helpers/multipart.ts'
import { callAction, testContext } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

/*
 * Storage failures injected for real under DATA_DIR/files (this file's own DATA_DIR):
 * - ENOTDIR: `files` is a regular file, so no directory can be made under it;
 * - EROFS: a read-only tmpfs is mounted on `files` (a read-only data directory);
 * - ENOSPC: a 64 KB tmpfs is mounted on `files` and a 256 KB file is uploaded, so the disk fills
 *   in the middle of the write.
 * Tests run as root, where chmod does not stop writes, hence mounts. Mounting needs root (or
 * CAP_SYS_ADMIN); without it the two mount cases are skipped and the ENOTDIR case still runs.
 */
const dataDir = vi.hoisted(() => {
  const nodeFs = process.getBuiltinModule('node:fs')
  const nodePath = process.getBuiltinModule('node:path')
  const nodeOs = process.getBuiltinModule('node:os')
  const dir = nodeFs.mkdtempSync(nodePath.join(nodeOs.tmpdir(), 'switchboard-storage-failure-'))
  process.env.DATA_DIR = dir
  return dir
})

function mountTmpfs(target: string, options: string) {
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', target], { stdio: 'ignore' })
}

const canMount = (() => {
  const probe = fs.mkdtempSync(path.join(dataDir, 'probe-'))
  try {
    mountTmpfs(probe, 'size=64k')
    execFileSync('umount', [probe])
    return true
  } catch {
    return false
  } finally {
    fs.rmSync(probe, { recursive: true, force: true })
  }
})()

type Fault = { name: string; needsMount: boolean; inject: (dir: string) => void }

const FAULTS: Fault[] = [
  {
    name: 'the files directory is a regular file (ENOTDIR)',
    needsMount: false,
    inject: (dir) => fs.writeFileSync(dir, 'not a directory'),
  },
  {
    name: 'the files directory is on a read-only filesystem (EROFS)',
    needsMount: true,
    inject: (dir) => {
      fs.mkdirSync(dir)
      mountTmpfs(dir, 'ro,size=64k')
    },
  },
  {
    name: 'the disk fills up in the middle of the file (ENOSPC)',
    needsMount: true,
    inject: (dir) => {
      fs.mkdirSync(dir)
      mountTmpfs(dir, 'size=64k')
    },
  },
]

let mounted = false
function inject(fault: Fault) {
  fs.rmSync(filesDir(), { recursive: true, force: true })
  fault.inject(filesDir())
  mounted = fault.needsMount
}

/**
 * Files under the files directory that are not complete, content-addressed files: temporary
 * files, or a file whose content does not match its name. Must be none. (A file of the same
 * form stored whole before the failure stays until the nightly files.cleanup removes it.)
 */
function halfWritten() {
  if (!fs.statSync(filesDir()).isDirectory()) return []
  return fs
    .readdirSync(filesDir(), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter(
      (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex') !== path.basename(file),
    )
}

function clearFault() {
  if (mounted) execFileSync('umount', [filesDir()])
  mounted = false
  fs.rmSync(filesDir(), { recursive: true, force: true })
}

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

afterEach(clearFault)

afterAll(() => {
  clearFault()
  fs.rmSync(dataDir, { recursive: true, force: true })
})

// Larger than the 64 KB tmpfs: the write fails part-way.
const bigFile = () => file('scan.pdf', new Uint8Array(randomBytes(256 * 1024)), 'application/pdf')

async function counts(workspaceId: string) {
  const db = getDb()
  const [[t], [m], [a]] = await Promise.all([
    db.select({ n: count() }).from(tickets).where(eq(tickets.workspaceId, workspaceId)),
    db.select({ n: count() }).from(messages).where(eq(messages.workspaceId, workspaceId)),
    db.select({ n: count() }).from(attachments).where(eq(attachments.workspaceId, workspaceId)),
  ])
  return { tickets: t.n, messages: m.n, attachments: a.n }
}

type Setup = { workspaceId: string; post: (files: File[]) => ReturnType<typeof callAction>; typed: string }

/** Each form that takes files, ready to post (text field `typed` is the one checked for). */
const FORMS: Array<[string, () => Promise<Setup>]> = [
  [
    'a new ticket',
    async () => {
      const agent = await createMember('agent')
      const [mailbox] = await getDb()
        .select({ id: mailboxes.id })
        .from(mailboxes)
        .where(eq(mailboxes.workspaceId, agent.workspace.id))
      const fields = {
        customerEmail: 'caller@example.net',
        customerName: 'Pat Caller',
        mailboxId: mailbox.id,
        subject: 'Parcel missing',
        body: 'Pat called about the parcel.',
      }
      return {
        workspaceId: agent.workspace.id,
        typed: 'body',
        post: (files) =>
          callAction(newTicketRoute, `/w/${agent.workspace.slug}/tickets/new`, multipartForm(fields, files), {
            cookie: agent.cookie,
            params: { slug: agent.workspace.slug },
          }),
      }
    },
  ],
  [
    'an agent’s reply',
    async () => {
      const agent = await createMember('agent')
      const ticket = await createTicketFor(agent)
      const fields = { intent: 'reply', kind: 'reply', body: 'Here is the scan you asked for.' }
      const path = `/w/${agent.workspace.slug}/tickets/${ticket.number}`
      return {
        workspaceId: agent.workspace.id,
        typed: 'body',
        post: (files) =>
          callAction(ticketRoute, path, multipartForm(fields, files), {
            cookie: agent.cookie,
            params: { slug: agent.workspace.slug, number: String(ticket.number) },
          }),
      }
    },
  ],
  [
    'the public support form',
    async () => {
      const agent = await createMember('agent')
      const fields = {
        name: 'Casey Customer',
        email: 'casey@example.net',
        subject: 'Broken kettle',
        message: 'The kettle arrived broken, photo attached.',
      }
      const slug = agent.workspace.slug
      return {
        workspaceId: agent.workspace.id,
        typed: 'message',
        post: (files) =>
          callAction(supportRoute, `/support/${slug}`, multipartForm(fields, files), {
            params: { slug },
            context: { ...testContext(), clientIp: `198.51.100.${Math.floor(Math.random() * 250)}` },
          }),
      }
    },
  ],
  [
    'a customer’s reply through their link',
    async () => {
      const agent = await createMember('agent')
      const ticket = await createTicketFor(agent)
      const token = new URL(ticket.customerLink).pathname.split('/').pop()!
      const fields = { message: 'Here is the receipt.' }
      return {
        workspaceId: agent.workspace.id,
        typed: 'message',
        post: (files) =>
          callAction(linkRoute, `/support/t/${token}`, multipartForm(fields, files), { params: { token } }),
      }
    },
  ],
]

describe.each(FAULTS)('when $name', (fault) => {
  it.skipIf(fault.needsMount && !canMount).each(FORMS)(
    '%s answers 400 with the storage message, keeps the typed text and writes nothing',
    async (_form, setup) => {
      const form = await setup()
      const before = await counts(form.workspaceId)
      inject(fault)
      const result = await form.post([file('notes.txt', 'first file'), bigFile()])
      expect(result.status).toBe(400)
      expect(result.data.result.error.files).toEqual([STORAGE_FAILED])
      expect(result.data.result.initialValue[form.typed]).toBeTruthy()
      expect(await counts(form.workspaceId)).toEqual(before)
      expect(halfWritten()).toEqual([])
    },
  )
})

describe('storeStream', () => {
  it.skipIf(!canMount)(
    'throws StorageError(ENOSPC) when the disk fills and removes its temporary file',
    async () => {
      inject(FAULTS[2])
      const error = await storeStream(Readable.from([randomBytes(256 * 1024)]), 1024 * 1024).catch((e) => e)
      expect(error).toBeInstanceOf(StorageError)
      expect(error.code).toBe('ENOSPC')
      expect(halfWritten()).toEqual([])
    },
  )

  it('throws StorageError(ENOTDIR) when the files path is not a directory', async () => {
    inject(FAULTS[0])
    const error = await storeStream(Readable.from([Buffer.from('x')]), 10).catch((e) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect(error.code).toBe('ENOTDIR')
  })

  it('stores again once the disk is back', async () => {
    const stored = await storeStream(Readable.from([Buffer.from('after the outage')]), 100)
    expect(stored.size).toBe(16)
  })
})
