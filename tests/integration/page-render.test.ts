import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMember, createTicketFor, type TestMember } from '#tests/helpers/factories.ts'
import { startTestServer, VARYING_HEADERS } from '#tests/helpers/http-server.ts'

// A page whose loader data is all read before the render is rendered in one synchronous pass
// (renderToString, app/entry.server.tsx) and written from the bytes the Response was made with
// (app/http/whole-body.server.ts). Two servers over the same build and database, one rendering
// every page with React's streaming renderer as before: each page must be the same bytes.

let atOnce: Awaited<ReturnType<typeof startTestServer>>
let streamed: Awaited<ReturnType<typeof startTestServer>>
let owner: TestMember
let outsider: TestMember
let number: number

beforeAll(async () => {
  atOnce = await startTestServer({ sockets: false })
  streamed = await startTestServer({ sockets: false, streamedPages: true })
  owner = await createMember('owner')
  outsider = await createMember('owner')
  number = (await createTicketFor(owner, { subject: 'Rendered <both> ways & "quoted"' })).number
})
afterAll(async () => {
  await atOnce?.close()
  await streamed?.close()
})

// Besides what varies per request, the session cookie: each answer may renew it.
const VARYING = new Set([...VARYING_HEADERS, 'set-cookie'])

type Ask = { method?: string; cookie?: string; form?: Record<string, string> }

async function answer(base: string, path: string, ask: Ask) {
  const headers: Record<string, string> = ask.cookie ? { cookie: ask.cookie } : {}
  if (ask.form) {
    headers.origin = base
    headers['content-type'] = 'application/x-www-form-urlencoded'
  }
  const res = await fetch(base + path, {
    method: ask.method ?? (ask.form ? 'POST' : 'GET'),
    headers,
    body: ask.form ? new URLSearchParams(ask.form) : undefined,
    redirect: 'manual',
  })
  const bytes = Buffer.from(await res.arrayBuffer())
  const length = res.headers.get('content-length')
  const text = bytes
    .toString('utf8')
    // The CSP nonce is per request; the loaders' `now` is the time they answered.
    .replace(/nonce="[^"]*"/g, 'nonce="…"')
    .replace(/\\"now\\",\\"[^"\\]*\\"/g, '\\"now\\",\\"…\\"')
  return {
    status: res.status,
    headers: [...res.headers].filter(([name]) => !VARYING.has(name)),
    body: text,
    bytes: bytes.byteLength,
    length,
  }
}

async function compare(path: string, ask: Ask = {}) {
  const fromStreamed = await answer(streamed.url, path, ask)
  const fromAtOnce = await answer(atOnce.url, path, ask)
  expect({ ...fromAtOnce, length: undefined }, path).toEqual({ ...fromStreamed, length: undefined })
  return fromAtOnce
}

describe('pages rendered at once', () => {
  it('are the streaming renderer’s bytes: inbox, ticket, home, settings, sign-in', async () => {
    const slug = owner.workspace.slug
    const inbox = await compare(`/w/${slug}/tickets`, { cookie: owner.cookie })
    expect(inbox.status).toBe(200)
    expect(inbox.body.startsWith('<!DOCTYPE html><html')).toBe(true)
    // The subject is escaped in the markup as React escapes it.
    expect(inbox.body).toContain('Rendered &lt;both&gt; ways &amp; &quot;quoted&quot;')
    expect(inbox.body).toContain('window.__remixContext.streamController.close()')
    const ticket = await compare(`/w/${slug}/tickets/${number}`, { cookie: owner.cookie })
    expect(ticket.status).toBe(200)
    await compare(`/w/${slug}`, { cookie: owner.cookie })
    await compare(`/w/${slug}/tickets?view=all&q=rendered`, { cookie: owner.cookie })
    await compare(`/w/${slug}/settings/members`, { cookie: owner.cookie })
    await compare('/login')
    await compare('/signup')
  })

  it('are the same for refusals and errors: another workspace, no such page, a form with bad input', async () => {
    const other = await compare(`/w/${outsider.workspace.slug}/tickets`, { cookie: owner.cookie })
    expect(other.status).toBe(404)
    expect(other.body).not.toContain(outsider.workspace.slug + '/tickets/')
    expect((await compare('/no-such-page', { cookie: owner.cookie })).status).toBe(404)
    expect(
      (await compare(`/w/${owner.workspace.slug}/tickets/99999999`, { cookie: owner.cookie })).status,
    ).toBe(404)
    // A post without JavaScript that fails validation: the page again, with its field's message.
    const refused = await compare('/login', { form: { email: 'not an address', password: '' } })
    expect(refused.status).toBe(400)
    expect(refused.body).toContain('not an address')
  })

  it('send the whole page in one write with its Content-Length; HEAD gets none of it', async () => {
    const page = await answer(atOnce.url, `/w/${owner.workspace.slug}/tickets`, { cookie: owner.cookie })
    expect(page.length).toBe(String(page.bytes))
    const res = await fetch(`${atOnce.url}/w/${owner.workspace.slug}/tickets`, {
      headers: { cookie: owner.cookie },
    })
    expect(res.headers.get('transfer-encoding')).toBeNull()
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    await res.arrayBuffer()
    const head = await fetch(`${atOnce.url}/w/${owner.workspace.slug}/tickets`, {
      method: 'HEAD',
      headers: { cookie: owner.cookie },
    })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })
})
