import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { contacts, tickets, users } from '#db/schema.ts'
import { createMember, createTicketFor, setTicket } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'

// Server-rendered HTML over the production build: dates in the viewer's stored zone (issue 11 item 13).

let server: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  server = await startTestServer({ sockets: false })
})
afterAll(async () => {
  await server.close()
})

/** The text and title of the `<time>` element for this instant in the page. */
function timeElement(html: string, iso: string) {
  const match = new RegExp(`<time[^>]*dateTime="${iso}"[^>]*title="([^"]*)"[^>]*>([^<]*)</time>`).exec(html)
  if (!match) throw new Error(`no <time> for ${iso}`)
  return { title: match[1], text: match[2] }
}

describe('dates in the viewer’s time zone', () => {
  it('renders a ticket’s date in Asia/Tokyo for a Tokyo user and in UTC for a user without a zone', async () => {
    const utcAgent = await createMember('owner')
    const tokyoAgent = await createMember('agent', utcAgent.workspace)
    await getDb().update(users).set({ timeZone: 'Asia/Tokyo' }).where(eq(users.id, tokyoAgent.user.id))
    const ticket = await createTicketFor(utcAgent)
    // 20:00 UTC on Jan 1 is 05:00 on Jan 2 in Tokyo; older than a month, so the date is shown.
    const createdAt = '2026-01-01T20:00:00.000Z'
    await setTicket(ticket.ticketId, { createdAt: new Date(createdAt) })
    const page = async (cookie: string) => {
      const response = await fetch(`${server.url}/w/${utcAgent.workspace.slug}/tickets/${ticket.number}`, {
        headers: { cookie },
      })
      expect(response.status).toBe(200)
      return response.text()
    }
    const inUtc = timeElement(await page(utcAgent.cookie), createdAt)
    expect(inUtc).toEqual({ text: 'Jan 1, 2026', title: 'Jan 1, 2026, 8:00 PM (UTC)' })
    const inTokyo = timeElement(await page(tokyoAgent.cookie), createdAt)
    expect(inTokyo).toEqual({ text: 'Jan 2, 2026', title: 'Jan 2, 2026, 5:00 AM (Asia/Tokyo)' })

    // Pages that show plain dates use the same zone: the customers list's "added" date.
    const [{ contactId }] = await getDb()
      .select({ contactId: tickets.contactId })
      .from(tickets)
      .where(eq(tickets.id, ticket.ticketId))
    await getDb()
      .update(contacts)
      .set({ createdAt: new Date(createdAt) })
      .where(eq(contacts.id, contactId))
    const customers = async (cookie: string) =>
      (await fetch(`${server.url}/w/${utcAgent.workspace.slug}/customers`, { headers: { cookie } })).text()
    expect(await customers(utcAgent.cookie)).toContain(`<time dateTime="${createdAt}">Jan 1, 2026</time>`)
    expect(await customers(tokyoAgent.cookie)).toContain(`<time dateTime="${createdAt}">Jan 2, 2026</time>`)
  })

  it('renders the account page inside the workspace shell, and the notifications page without JavaScript', async () => {
    const agent = await createMember('agent')
    const slug = agent.workspace.slug
    const redirect = await fetch(`${server.url}/account`, {
      headers: { cookie: agent.cookie },
      redirect: 'manual',
    })
    expect(redirect.status).toBe(302)
    expect(redirect.headers.get('location')).toBe(`/w/${slug}/account`)
    const account = await (
      await fetch(`${server.url}/w/${slug}/account`, { headers: { cookie: agent.cookie } })
    ).text()
    expect(account).toContain('Your account')
    expect(account).toContain('aria-label="Workspace navigation"')
    expect(account).toContain('<option value="Asia/Tokyo">Asia/Tokyo</option>')
    const notifications = await fetch(`${server.url}/w/${slug}/notifications?unread=1`, {
      headers: { cookie: agent.cookie },
    })
    expect(notifications.status).toBe(200)
    const html = await notifications.text()
    expect(html).toContain('<h1 class="text-2xl font-semibold">Notifications</h1>')
    expect(html).toContain('No notifications match these filters.')
  })
})
