import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, messages } from '#db/schema.ts'
import { EARLIER_PAGE, THREAD_TAIL } from '#app/domain/ticket-page.server.ts'
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
  // And 30 priority changes, one every 7 seconds along the thread: they show between the
  // messages they came between.
  await getDb()
    .insert(auditEvents)
    .values(
      Array.from({ length: 30 }, (_, i) => ({
        workspaceId: owner.workspace.id,
        actorUserId: owner.user.id,
        action: 'ticket.priority-changed',
        targetType: 'ticket',
        targetId: ticket.ticketId,
        data: { before: i % 2 === 0 ? 'low' : 'high', after: i % 2 === 0 ? 'high' : 'low' },
        createdAt: new Date(start + i * 7000 + 500),
      })),
    )
  return { owner, url: `${server.url}/w/${owner.workspace.slug}/tickets/${ticket.number}` }
}

const articles = (html: string) => html.match(/<article /g)?.length ?? 0
const inlineEvents = (html: string) => html.match(/changed priority from/g)?.length ?? 0

describe('ticket page thread', () => {
  it(`renders the newest ${THREAD_TAIL} of 200 messages in under 80 KB, behind a link to the rest`, async () => {
    const { owner, url } = await longTicket()
    const response = await fetch(url, { headers: { cookie: owner.cookie } })
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(Buffer.byteLength(html)).toBeLessThan(80 * 1024)
    expect(articles(html)).toBe(THREAD_TAIL)
    expect(html).toContain('Message number 200.')
    expect(html).not.toContain(`Message number ${200 - THREAD_TAIL}.`)
    expect(html).not.toContain('The very first message of this thread.')
    expect(html).toContain(`Show ${200 - THREAD_TAIL} earlier messages`)
    // Without JavaScript the link opens the page before the first message shown.
    expect(html).toMatch(
      new RegExp(
        `<a [^>]*href="[^"]*\\?before=[0-9a-f-]{36}"[^>]*>Show ${200 - THREAD_TAIL} earlier messages<`,
      ),
    )
    // Field changes show inline, only those since the oldest message shown (THREAD_TAIL is 10:
    // message 191 at start + 190 s: the changes at 196.5 and 203.5 s), and no second activity list.
    expect(inlineEvents(html)).toBe(2)
    expect(html).not.toContain('id="activity-heading"')
    // The newest message is the target of `#latest` (the inbox links land there without JS).
    expect(html.match(/ id="latest"/g)).toHaveLength(1)
    expect(html.indexOf('id="latest"')).toBeGreaterThan(html.indexOf('Message number 199.'))
    expect(html.indexOf('id="latest"')).toBeLessThan(html.indexOf('Message number 200.'))
  })

  it('renders the page before the newest one for ?thread=all (the old full-thread link), with its field changes', async () => {
    const { owner, url } = await longTicket()
    const response = await fetch(`${url}?thread=all`, { headers: { cookie: owner.cookie } })
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(articles(html)).toBe(EARLIER_PAGE)
    const last = 200 - THREAD_TAIL
    const first = last - EARLIER_PAGE + 1
    expect(html.indexOf(`Message number ${first}.`)).toBeLessThan(html.indexOf(`Message number ${last}.`))
    expect(html).not.toContain(`Message number ${last + 1}.`)
    expect(html).not.toContain('The very first message of this thread.')
    expect(html).toContain(`Show ${first - 1} earlier messages`)
    expect(html).toContain('Show the latest messages')
    // The changes among messages 171–190 (at start + 170…189 s, the next one at 190 s): those at
    // 175.5, 182.5 and 189.5 s, each between the messages around it.
    expect(inlineEvents(html)).toBe(3)
    expect(html.indexOf('Message number 183.')).toBeLessThan(
      html.indexOf('changed priority from low to high'),
    )
    expect(html.indexOf('changed priority from low to high')).toBeLessThan(
      html.indexOf('Message number 184.'),
    )
  })

  it('loads the earlier messages on demand as data (what the link fetches with JavaScript)', async () => {
    const { owner, url } = await longTicket()
    const collapsed = await fetch(url, { headers: { cookie: owner.cookie } })
    const oldestShown = (await collapsed.text()).match(/\?before=([0-9a-f-]{36})"/)![1]
    const earlier = await fetch(`${url}/earlier?before=${oldestShown}`, {
      headers: { cookie: owner.cookie },
    })
    expect(earlier.status).toBe(200)
    expect(earlier.headers.get('content-type')).toContain('application/json')
    expect(earlier.headers.get('cache-control')).toContain('no-store')
    const data = await earlier.text()
    expect(data).toContain(`Message number ${200 - THREAD_TAIL}.`)
    expect(data).toContain(`Message number ${200 - THREAD_TAIL - EARLIER_PAGE + 1}.`)
    expect(data).not.toContain(`Message number ${200 - THREAD_TAIL - EARLIER_PAGE}.`)
    expect(data).not.toContain('The very first message of this thread.')
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
