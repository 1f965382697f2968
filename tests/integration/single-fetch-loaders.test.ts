import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMember, createTicketFor, type TestMember } from '#tests/helpers/factories.ts'
import { startTestServer, VARYING_HEADERS } from '#tests/helpers/http-server.ts'

// GET `.data` requests are answered by app/http/single-fetch-loaders.server.ts, not by Remix's
// request handler. Two servers over the same build and database, one with it and one without:
// every answer must be the same status, headers and body bytes.

let lean: Awaited<ReturnType<typeof startTestServer>>
let remix: Awaited<ReturnType<typeof startTestServer>>
let owner: TestMember
let outsider: TestMember
let number: number

beforeAll(async () => {
  lean = await startTestServer({ sockets: false })
  remix = await startTestServer({ sockets: false, leanDataRequests: false })
  owner = await createMember('owner')
  outsider = await createMember('owner')
  number = (await createTicketFor(owner, { subject: 'Compared both ways' })).number
})
afterAll(async () => {
  await lean?.close()
  await remix?.close()
})

const VARYING = VARYING_HEADERS

async function answer(base: string, path: string, cookie?: string) {
  const res = await fetch(base + path, { headers: cookie ? { cookie } : {}, redirect: 'manual' })
  const body = Buffer.from(await res.arrayBuffer())
  const headers = [...res.headers].filter(([name]) => !VARYING.has(name))
  // The queue's loader sends the time it answered (`now`, for relative times).
  const text = body.toString('latin1').replace(/"now","[^"]*"/g, '"now","…"')
  return { status: res.status, statusText: res.statusText, headers, body: text }
}

async function compare(path: string, cookie?: string) {
  const fromRemix = await answer(remix.url, path, cookie)
  const fromLean = await answer(lean.url, path, cookie)
  expect(fromLean, path).toEqual(fromRemix)
  return fromLean
}

describe('GET .data without Remix’s request handler', () => {
  it('answers the queue, home, ticket and root data as Remix does, loaders by _routes too', async () => {
    const slug = owner.workspace.slug
    const queue = await compare(`/w/${slug}/tickets.data`, owner.cookie)
    expect(queue.status).toBe(200)
    expect(queue.body).toContain('Compared both ways')
    expect(queue.headers).toContainEqual(['content-type', 'text/x-script; charset=utf-8'])
    expect(queue.headers).toContainEqual(['x-remix-response', 'yes'])
    await compare(`/w/${slug}/tickets.data?view=mine&sort=priority`, owner.cookie)
    await compare(`/w/${slug}/tickets.data?_routes=routes%2Fw.%24slug.tickets._index`, owner.cookie)
    await compare(`/w/${slug}/tickets.data?_routes=root,routes%2Fw.%24slug`, owner.cookie)
    const home = await compare(`/w/${slug}.data`, owner.cookie)
    expect(home.status).toBe(200)
    await compare(`/w/${slug}/tickets/${number}.data`, owner.cookie)
    await compare('/_root.data', owner.cookie)
    await compare(`/w/${slug}/settings/members.data`, owner.cookie)
  })

  it('answers redirects, thrown 404s and unmatched paths as Remix does', async () => {
    const slug = owner.workspace.slug
    // Signed out: the guard's redirect to the login page, as a single-fetch redirect (202).
    const signedOut = await compare(`/w/${slug}/tickets.data`)
    expect(signedOut.status).toBe(202)
    expect(signedOut.body).toContain('/login?redirectTo=')
    // Another workspace's inbox: the guard's thrown 404, none of its data.
    const other = await compare(`/w/${outsider.workspace.slug}/tickets.data`, owner.cookie)
    expect(other.status).toBe(404)
    // A ticket that does not exist, a path no route has, a malformed parameter.
    await compare(`/w/${slug}/tickets/99999999.data`, owner.cookie)
    expect((await compare('/no-such-page.data', owner.cookie)).status).toBe(404)
    await compare(`/w/${slug}/tickets/not-a-number.data`, owner.cookie)
    // The signed-in root: the page that redirects to the user's workspace.
    await compare('/_root.data?_routes=routes%2F_index', owner.cookie)
  })

  it('leaves ?_data requests and other methods to Remix', async () => {
    const slug = owner.workspace.slug
    await compare(`/w/${slug}/tickets.data?_data=root`, owner.cookie)
    const head = await fetch(`${lean.url}/w/${slug}/tickets.data`, {
      method: 'HEAD',
      headers: { cookie: owner.cookie },
    })
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
  })

  it('sends the body in one write with a Content-Length, behind the usual middleware headers', async () => {
    const res = await fetch(`${lean.url}/w/${owner.workspace.slug}/tickets.data`, {
      headers: { cookie: owner.cookie },
    })
    const body = Buffer.from(await res.arrayBuffer())
    expect(res.headers.get('content-length')).toBe(String(body.byteLength))
    expect(res.headers.get('transfer-encoding')).toBeNull()
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.headers.get('x-frame-options')).toBe('DENY')
  })
})
