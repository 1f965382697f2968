import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, messages } from '#db/schema.ts'
import { ACTIVITY_TAIL, THREAD_TAIL } from '#app/domain/ticket-page.server.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'

// A 200-message ticket renders its newest messages and collapses the rest (issue 12).

let server: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  server = await startTestServer({ sockets: false })
})
afterAll(async () => {
  await server.close()
})

/** A ticket whose thread is the customer's first message and 199 more, a second apart. */
async function longTicket() {
  const owner = await createMember('owner')
  const ticket = await createTicketFor(owner, { body: 'The very first message of this thread.' })
  // After the first message (created just now).
  const start = Date.now() + 1_000
  await getDb()
    .insert(messages)
    .values(
      Array.from({ length: 199 }, (_, i) => ({
        workspaceId: owner.workspace.id,
        ticketId: ticket.ticketId,
        kind: i % 2 === 0 ? ('reply' as const) : ('note' as const),
        authorUserId: owner.user.id,
        bodyText: `Message number ${i + 2}. ${'A few words so the message has a realistic length. '.repeat(6)}`,
        createdAt: new Date(start + (i + 1) * 1000),
      })),
    )
  // And a long activity log (priority changes).
  await getDb()
    .insert(auditEvents)
    .values(
      Array.from({ length: 30 }, (_, i) => ({
        workspaceId: owner.workspace.id,
        actorUserId: owner.user.id,
        action: 'ticket.updated',
        targetType: 'ticket',
        targetId: ticket.ticketId,
        data: { priority: i % 2 === 0 ? 'high' : 'low' },
      })),
    )
  return { owner, url: `${server.url}/w/${owner.workspace.slug}/tickets/${ticket.number}` }
}

const articles = (html: string) => html.match(/<article /g)?.length ?? 0
const activityEntries = (html: string) => {
  const log = html.slice(html.indexOf('id="activity-heading"'))
  return log.slice(0, log.indexOf('</ol>')).match(/<li /g)?.length ?? 0
}

describe('ticket page thread', () => {
  it(`renders the newest ${THREAD_TAIL} of 200 messages in under 80 KB, behind a link to the rest`, async () => {
    const { owner, url } = await longTicket()
    const response = await fetch(url, { headers: { cookie: owner.cookie } })
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(Buffer.byteLength(html)).toBeLessThan(80 * 1024)
    expect(articles(html)).toBe(THREAD_TAIL)
    expect(html).toContain('Message number 200.')
    expect(html).not.toContain('Message number 180.')
    expect(html).not.toContain('The very first message of this thread.')
    expect(html).toContain(`Show ${200 - THREAD_TAIL} earlier messages`)
    // Without JavaScript the link loads the full thread.
    expect(html).toMatch(/<a [^>]*href="[^"]*\?thread=all"[^>]*>Show 180 earlier messages</)
    // The activity log shows its newest entries, and links to the rest the same way.
    expect(html).toMatch(/<a [^>]*href="[^"]*\?thread=all"[^>]*>Show earlier activity</)
    expect(activityEntries(html)).toBe(ACTIVITY_TAIL)
  })

  it('renders every message, oldest first, without the link when asked for the full thread', async () => {
    const { owner, url } = await longTicket()
    const response = await fetch(`${url}?thread=all`, { headers: { cookie: owner.cookie } })
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(articles(html)).toBe(200)
    expect(html.indexOf('The very first message of this thread.')).toBeLessThan(
      html.indexOf('Message number 2.'),
    )
    expect(html).not.toContain('earlier messages')
    expect(html).not.toContain('Show earlier activity')
    expect(activityEntries(html)).toBe(31)
  })

  it('loads the earlier messages on demand as data (what the link fetches with JavaScript)', async () => {
    const { owner, url } = await longTicket()
    const collapsed = await fetch(`${url}.data`, { headers: { cookie: owner.cookie } })
    expect(await collapsed.text()).not.toContain('The very first message of this thread.')
    const full = await fetch(`${url}.data?thread=all`, { headers: { cookie: owner.cookie } })
    expect(full.status).toBe(200)
    const data = await full.text()
    expect(data).toContain('The very first message of this thread.')
    expect(data).toContain('Message number 100.')
  })

  it('shows a short thread whole, with no link', async () => {
    const owner = await createMember('owner')
    const ticket = await createTicketFor(owner)
    const response = await fetch(`${server.url}/w/${owner.workspace.slug}/tickets/${ticket.number}`, {
      headers: { cookie: owner.cookie },
    })
    const html = await response.text()
    expect(articles(html)).toBe(1)
    expect(html).not.toContain('earlier message')
  })
})
