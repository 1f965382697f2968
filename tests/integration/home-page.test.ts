import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMember, createTicketFor, setTicket } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'

let server: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await server.close()
})

describe('workspace home page', () => {
  it("states the member's own and the unassigned open tickets, the same numbers as the sidebar", async () => {
    const owner = await createMember('owner')
    const mine = await createTicketFor(owner)
    await setTicket(mine.ticketId, { assigneeId: owner.user.id })
    await createTicketFor(owner)
    await createTicketFor(owner)
    const page = await fetch(`${server.url}/w/${owner.workspace.slug}`, { headers: { cookie: owner.cookie } })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('1 open ticket is assigned to you; 2 are unassigned.')
  })

  it('says nobody is needed when the queue is empty', async () => {
    const owner = await createMember('owner')
    const page = await fetch(`${server.url}/w/${owner.workspace.slug}`, { headers: { cookie: owner.cookie } })
    expect(await page.text()).toContain('No open tickets need anyone right now.')
  })
})
