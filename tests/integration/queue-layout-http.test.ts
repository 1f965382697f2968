import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { tags } from '#db/schema.ts'
import { addMember, createMember, createUser } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'

// The inbox's filter options ride on the layout's statement when both loaders run in one request
// (app/routes/w.$slug.layout-data.server.ts); these requests go through the real server and build.

let server: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  server = await startTestServer({ sockets: false })
})
afterAll(async () => {
  await server.close()
})

async function addTag(workspaceId: string, name: string) {
  await getDb().insert(tags).values({ workspaceId, name })
}

describe('the inbox filter options over HTTP', () => {
  it("shows the workspace's own tags, members and mailboxes, never another workspace's", async () => {
    const a = await createMember('owner')
    const b = await createMember('owner')
    await addTag(a.workspace.id, 'Refunds of A')
    await addTag(b.workspace.id, 'Secret of B')
    const page = await fetch(`${server.url}/w/${a.workspace.slug}/tickets`, { headers: { cookie: a.cookie } })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Refunds of A')
    expect(html).toContain(`value="${a.user.id}"`)
    expect(html).not.toContain('Secret of B')
    expect(html).not.toContain(b.user.id)

    const data = await fetch(`${server.url}/w/${a.workspace.slug}/tickets.data`, {
      headers: { cookie: a.cookie },
    })
    expect(data.status).toBe(200)
    const body = await data.text()
    expect(body).toContain('Refunds of A')
    expect(body).not.toContain('Secret of B')
  })

  it('gives a member of another workspace a 404 with none of its options', async () => {
    const a = await createMember('owner')
    const b = await createMember('owner')
    await addTag(b.workspace.id, 'Hidden tag of B')
    for (const path of [`/w/${b.workspace.slug}/tickets`, `/w/${b.workspace.slug}/tickets.data`]) {
      const response = await fetch(server.url + path, { headers: { cookie: a.cookie } })
      expect(response.status).toBe(404)
      expect(await response.text()).not.toContain('Hidden tag of B')
    }
  })

  it('shows a tag added since the last request on the next one, with and without the layout loader', async () => {
    const a = await createMember('owner')
    const url = `${server.url}/w/${a.workspace.slug}/tickets`
    expect(await (await fetch(url, { headers: { cookie: a.cookie } })).text()).not.toContain('Added later')
    await addTag(a.workspace.id, 'Added later')
    expect(await (await fetch(url, { headers: { cookie: a.cookie } })).text()).toContain('Added later')
    // A client navigation that changes only the query string skips the layout's loader
    // (layoutShouldRevalidate): the queue's loader then reads the options itself.
    const pageOnly = await fetch(
      `${url}.data?view=all&_routes=${encodeURIComponent('routes/w.$slug.tickets._index')}`,
      {
        headers: { cookie: a.cookie },
      },
    )
    expect(pageOnly.status).toBe(200)
    const body = await pageOnly.text()
    expect(body).toContain('Added later')
    expect(body).not.toContain('"counts"')
  })
})

/** The page's markup without React's text separators (`1<!-- --> <!-- -->member`). */
const textOf = (html: string) => html.replaceAll('<!-- -->', '')

describe('the home page over HTTP', () => {
  it("counts the workspace's own members and ticks the checklist from the next request on", async () => {
    const a = await createMember('owner')
    await createMember('owner') // another workspace's member counts nothing here
    const url = `${server.url}/w/${a.workspace.slug}`
    const before = textOf(await (await fetch(url, { headers: { cookie: a.cookie } })).text())
    expect(before).toContain('has 1 member.')
    expect(before).toContain('Getting started')
    const teammate = await createUser()
    await addMember(a.workspace.id, teammate.id, 'agent')
    const after = textOf(await (await fetch(url, { headers: { cookie: a.cookie } })).text())
    expect(after).toContain('has 2 members.')
    // Without the layout's loader (a client navigation that skips it) the page reads its own.
    const pageOnly = await fetch(`${url}.data?_routes=${encodeURIComponent('routes/w.$slug._index')}`, {
      headers: { cookie: a.cookie },
    })
    expect(pageOnly.status).toBe(200)
    expect(await pageOnly.text()).not.toContain('"counts"')
  })

  it('gives a member of another workspace a 404 for its home page', async () => {
    const a = await createMember('owner')
    const b = await createMember('owner')
    for (const path of [`/w/${b.workspace.slug}`, `/w/${b.workspace.slug}.data`]) {
      const response = await fetch(server.url + path, { headers: { cookie: a.cookie } })
      expect(response.status).toBe(404)
      expect(await response.text()).not.toContain(`Workspace ${b.workspace.slug}`)
    }
  })
})
