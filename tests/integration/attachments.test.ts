import fs from 'node:fs'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { ActionFunctionArgs } from '@remix-run/node'
import { count, eq } from 'drizzle-orm'
import { getDb } from '#db/client.ts'
import { attachments, messages, tickets } from '#db/schema.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { UNREADABLE_UPLOAD } from '#app/http/uploads.server.ts'
import { storeStream } from '#app/integrations/storage.server.ts'
import * as supportRoute from '#app/routes/support.$slug._index.tsx'
import * as linkRoute from '#app/routes/support.t.$token.tsx'
import * as attachmentRoute from '#app/routes/w.$slug.attachments.$id.tsx'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import * as newTicketRoute from '#app/routes/w.$slug.tickets.new.tsx'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { file, multipartForm, rawMultipart, rawMultipartRequest } from '#tests/helpers/multipart.ts'
import { callAction, callLoader, testContext } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Attachments are stored under DATA_DIR/files: a directory of this test file's own, set before
// any app module reads the configuration (hoisted above the imports, hence no imported fs).
const dataDir = vi.hoisted(() => {
  const nodeFs = process.getBuiltinModule('node:fs')
  const nodePath = process.getBuiltinModule('node:path')
  const nodeOs = process.getBuiltinModule('node:os')
  const dir = nodeFs.mkdtempSync(nodePath.join(nodeOs.tmpdir(), 'switchboard-attachments-'))
  process.env.DATA_DIR = dir
  return dir
})

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true })
})

type Agent = Awaited<ReturnType<typeof createMember>>

// The 8-byte PNG signature and an IHDR chunk start: enough to be a PNG to a sniffer.
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')

/** An agent's note on a new ticket carrying the given files; returns their attachment ids by name. */
async function attach(
  agent: Agent,
  files: Array<{ filename: string; contentType: string; content: Buffer | string }>,
) {
  const ticket = await createTicketFor(agent)
  const stored = []
  for (const f of files) {
    const { sha256, size } = await storeStream(Readable.from([Buffer.from(f.content)]), 1024 * 1024)
    stored.push({ filename: f.filename, contentType: f.contentType, size, sha256 })
  }
  const outcome = await replyToTicket(
    {
      userId: agent.user.id,
      role: 'agent',
      workspaceId: agent.workspace.id,
      workspaceSlug: agent.workspace.slug,
      workspaceName: 'W',
      user: { name: agent.user.name },
    },
    ticket.number,
    { kind: 'note', body: 'Files attached', files: stored },
  )
  if (outcome.kind !== 'sent') throw new Error('note not sent')
  const page = await callLoader(ticketRoute, `/w/${agent.workspace.slug}/tickets/${ticket.number}`, {
    cookie: agent.cookie,
    params: { slug: agent.workspace.slug, number: String(ticket.number) },
  })
  const message = page.data.thread.at(-1) as { attachments: Array<{ id: string; filename: string }> }
  return Object.fromEntries(message.attachments.map((a) => [a.filename, a.id]))
}

/** Calls the download route like the browser does, returning the raw Response (or the thrown one). */
async function download(agent: Agent, id: string, slug = agent.workspace.slug) {
  const request = new Request(`http://localhost:3000/w/${slug}/attachments/${id}`, {
    headers: { cookie: agent.cookie },
  })
  try {
    return (await attachmentRoute.loader({
      request,
      params: { slug, id },
      context: testContext(),
    })) as Response
  } catch (thrown) {
    if (thrown instanceof Response) return thrown
    throw thrown
  }
}

describe('attachment downloads', () => {
  it('streams a PNG inline with its type, length and protective headers', async () => {
    const agent = await createMember('agent')
    const ids = await attach(agent, [{ filename: 'screenshot.png', contentType: 'image/png', content: PNG }])
    const response = await download(agent, ids['screenshot.png'])
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('image/png')
    expect(response.headers.get('content-disposition')).toBe(
      `inline; filename="screenshot.png"; filename*=UTF-8''screenshot.png`,
    )
    expect(response.headers.get('content-length')).toBe(String(PNG.length))
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('content-security-policy')).toBe('sandbox')
    expect(response.headers.get('cache-control')).toBe('private, no-store')
    expect(Buffer.from(await response.arrayBuffer())).toEqual(PNG)
  })

  it.each([
    ['page.html', 'text/html'],
    ['logo.svg', 'image/svg+xml'],
    ['page.xhtml', 'application/xhtml+xml'],
    ['notes.txt', 'text/plain; charset=utf-8'],
    ['report.pdf', 'application/pdf'],
  ])('serves %s (%s) as a download, never inline', async (filename, contentType) => {
    const agent = await createMember('agent')
    const content = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
    const ids = await attach(agent, [{ filename, contentType, content }])
    const response = await download(agent, ids[filename])
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe(contentType.split(';')[0])
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="${filename}"; filename*=UTF-8''${filename}`,
    )
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('content-security-policy')).toBe('sandbox')
    expect(await response.text()).toBe(content)
  })

  it('encodes a non-ASCII filename per RFC 8187 with an ASCII fallback', async () => {
    const agent = await createMember('agent')
    const ids = await attach(agent, [
      { filename: 'résumé "final" (1).pdf', contentType: 'application/pdf', content: 'pdf' },
    ])
    const response = await download(agent, ids['résumé "final" (1).pdf'])
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="r_sum_ _final_ (1).pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22%20%281%29.pdf`,
    )
  })

  it('downloads a file whose stored type is not a valid media type as octet-stream', async () => {
    const agent = await createMember('agent')
    const ids = await attach(agent, [{ filename: 'odd.bin', contentType: 'image/png<script>', content: 'x' }])
    const response = await download(agent, ids['odd.bin'])
    expect(response.headers.get('content-type')).toBe('application/octet-stream')
    expect(response.headers.get('content-disposition')).toMatch(/^attachment;/)
  })

  it('answers 404 for another workspace’s attachment, whether asked through either workspace', async () => {
    const agent = await createMember('agent')
    const stranger = await createMember('agent')
    const theirs = await attach(stranger, [
      { filename: 'secret.png', contentType: 'image/png', content: PNG },
    ])
    const viaOwnWorkspace = await download(agent, theirs['secret.png'])
    expect(viaOwnWorkspace.status).toBe(404)
    const viaTheirWorkspace = await download(agent, theirs['secret.png'], stranger.workspace.slug)
    expect(viaTheirWorkspace.status).toBe(404)
    expect(await viaOwnWorkspace.text()).not.toContain('PNG')
  })

  it.each(['not-a-uuid', '00000000-0000-0000-0000-000000000000', '..%2F..%2Fetc%2Fpasswd'])(
    'answers 404 for the unknown attachment id %j',
    async (id) => {
      const agent = await createMember('agent')
      const response = await download(agent, id)
      expect(response.status).toBe(404)
    },
  )

  it('sends a visitor without a session to the login page', async () => {
    const agent = await createMember('agent')
    const ids = await attach(agent, [{ filename: 'a.png', contentType: 'image/png', content: PNG }])
    const request = new Request(`http://localhost:3000/w/${agent.workspace.slug}/attachments/${ids['a.png']}`)
    const result = await attachmentRoute
      .loader({ request, params: { slug: agent.workspace.slug, id: ids['a.png'] }, context: testContext() })
      .catch((thrown: unknown) => thrown)
    expect(result).toBeInstanceOf(Response)
    expect((result as Response).status).toBe(302)
  })

  it('answers 404 rather than a broken stream when the stored file has gone missing', async () => {
    const agent = await createMember('agent')
    const ids = await attach(agent, [
      { filename: 'gone.txt', contentType: 'text/plain', content: 'vanishing file' },
    ])
    fs.rmSync(`${dataDir}/files`, { recursive: true, force: true })
    const response = await download(agent, ids['gone.txt'])
    expect(response.status).toBe(404)
  })
})

describe('attachments uploaded through the composer', () => {
  it.each([
    [
      'Résumé "final"; v=2.pdf',
      `attachment; filename="R_sum_ _final_; v=2.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22%3B%20v%3D2.pdf`,
    ],
    [
      '見積書 第2版.pdf',
      `attachment; filename="___ _2_.pdf"; filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8%20%E7%AC%AC2%E7%89%88.pdf`,
    ],
    ['a=b;c=d.txt', `attachment; filename="a=b;c=d.txt"; filename*=UTF-8''a%3Db%3Bc%3Dd.txt`],
    ['50%\\off.txt', `attachment; filename="off.txt"; filename*=UTF-8''off.txt`],
    ['photo\u202Egnp.txt', `attachment; filename="photognp.txt"; filename*=UTF-8''photognp.txt`],
  ])('shows %j in the thread and downloads it under that name', async (filename, disposition) => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const path = `/w/${agent.workspace.slug}/tickets/${ticket.number}`
    const params = { slug: agent.workspace.slug, number: String(ticket.number) }
    const posted = await callAction(
      ticketRoute,
      path,
      multipartForm({ intent: 'reply', kind: 'note', body: 'See attached' }, [file(filename, 'content')]),
      { cookie: agent.cookie, params },
    )
    expect(posted.status).toBe(302)
    const page = await callLoader(ticketRoute, path, { cookie: agent.cookie, params })
    const note = page.data.thread.at(-1) as { attachments: Array<{ id: string; filename: string }> }
    const shown = filename.replace('\u202E', '').replace(/^.*\\/, '')
    expect(note.attachments.map((a) => a.filename)).toEqual([shown])
    const response = await download(agent, note.attachments[0].id)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-disposition')).toBe(disposition)
    expect(await response.text()).toBe('content')
  })
})

describe('a malformed upload body on each form that takes files', () => {
  /** Posts a hand-written body straight to a route's action, as a broken client would. */
  async function postRaw(
    route: { action: (args: ActionFunctionArgs) => unknown },
    path: string,
    params: Record<string, string>,
    body: Uint8Array,
    options: { cookie?: string; contentType?: string } = {},
  ) {
    const request = rawMultipartRequest(`http://localhost:3000${path}`, body, {
      contentType: options.contentType,
      headers: options.cookie ? { cookie: options.cookie } : {},
    })
    const value = await Promise.resolve(
      route.action({ request, params, context: { ...testContext(), clientIp: '192.0.2.9' } }),
    ).catch((thrown: unknown) => thrown)
    if (value instanceof Response) return { status: value.status, text: await value.text() }
    const result = value as { type?: string; data: unknown; init?: { status?: number } }
    return { status: result.init?.status ?? 200, text: JSON.stringify(result.data) }
  }

  const typed = { headers: ['Content-Disposition: form-data; name="body"'], content: 'typed text' }
  const BODIES: Array<[string, Uint8Array, string | undefined]> = [
    ['no boundary', rawMultipart([typed]), 'multipart/form-data'],
    ['a part without Content-Disposition', rawMultipart([typed, { headers: [], content: 'x' }]), undefined],
    [
      'a part without a name',
      rawMultipart([{ headers: ['Content-Disposition: form-data'], content: 'x' }]),
      undefined,
    ],
    ['an unterminated body', rawMultipart([typed], { close: false }), undefined],
    [
      'a body cut inside a file',
      rawMultipart([
        typed,
        {
          headers: ['Content-Disposition: form-data; name="files"; filename="a.txt"'],
          content: 'x'.repeat(5000),
        },
      ]).subarray(0, 300),
      undefined,
    ],
  ]

  it.each(BODIES)(
    '%s → 400 with the message, nothing written, on all four forms',
    async (_case, body, contentType) => {
      const agent = await createMember('agent')
      const ticket = await createTicketFor(agent)
      const token = new URL(ticket.customerLink).pathname.split('/').pop()!
      const slug = agent.workspace.slug
      const db = getDb()
      const written = async () =>
        Promise.all(
          [tickets, messages, attachments].map(async (table) => {
            const [row] = await db
              .select({ n: count() })
              .from(table)
              .where(eq(table.workspaceId, agent.workspace.id))
            return row.n
          }),
        )
      const before = await written()
      const answers = [
        await postRaw(newTicketRoute, `/w/${slug}/tickets/new`, { slug }, body, {
          cookie: agent.cookie,
          contentType,
        }),
        await postRaw(
          ticketRoute,
          `/w/${slug}/tickets/${ticket.number}`,
          { slug, number: String(ticket.number) },
          body,
          {
            cookie: agent.cookie,
            contentType,
          },
        ),
        await postRaw(supportRoute, `/support/${slug}`, { slug }, body, { contentType }),
        await postRaw(linkRoute, `/support/t/${token}`, { token }, body, { contentType }),
      ]
      for (const answer of answers) {
        expect(answer.status).toBe(400)
        expect(answer.text).toContain(UNREADABLE_UPLOAD)
      }
      expect(await written()).toEqual(before)
    },
  )
})
