import { and, eq } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, contacts, tickets } from '#db/schema.ts'
import * as customerRoute from '#app/routes/w.$slug.customers.$id.tsx'
import * as ticketRoute from '#app/routes/w.$slug.tickets.$number.tsx'
import { createMember, createTicketFor, setTicket } from '#tests/helpers/factories.ts'
import { callAction, callLoader } from '#tests/helpers/routes.ts'
import { profileBase } from '#app/utils/customer-profile.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'

type Agent = Awaited<ReturnType<typeof createMember>>

function loadTicket(agent: Agent, number: number) {
  return callLoader(ticketRoute, `/w/${agent.workspace.slug}/tickets/${number}`, {
    cookie: agent.cookie,
    params: { slug: agent.workspace.slug, number: String(number) },
  })
}

function postProfile(
  agent: Agent,
  contactId: string,
  form: Record<string, string>,
  slug = agent.workspace.slug,
) {
  return callAction(
    customerRoute,
    `/w/${slug}/customers/${contactId}`,
    { intent: 'profile', ...form },
    { cookie: agent.cookie, params: { slug, id: contactId } },
  )
}

async function contactOf(ticketId: string) {
  const [row] = await getDb()
    .select({
      id: contacts.id,
      company: contacts.company,
      timeZone: contacts.timeZone,
      notes: contacts.notes,
    })
    .from(tickets)
    .innerJoin(contacts, eq(contacts.id, tickets.contactId))
    .where(eq(tickets.id, ticketId))
  return row!
}

function profileAudits(workspaceId: string) {
  return getDb()
    .select({ actorUserId: auditEvents.actorUserId, targetId: auditEvents.targetId, data: auditEvents.data })
    .from(auditEvents)
    .where(and(eq(auditEvents.workspaceId, workspaceId), eq(auditEvents.action, 'contact.profile-updated')))
}

let server: Awaited<ReturnType<typeof startTestServer>> | undefined
afterAll(async () => {
  await server?.close()
})

describe('customer card on the ticket page', () => {
  it("shows the customer's 5 most recent other conversations, newest first, and counts all their tickets", async () => {
    const agent = await createMember('agent')
    const email = 'ada@analytical.co.uk'
    const created = []
    for (let i = 0; i < 8; i++) {
      created.push(
        await createTicketFor(agent, { customerEmail: email, customerName: 'Ada', subject: `Question ${i}` }),
      )
    }
    // Someone else's ticket never shows up on Ada's card.
    await createTicketFor(agent, { customerEmail: 'grace@navy.example', subject: 'Not Ada' })
    for (const [i, t] of created.entries()) {
      await setTicket(t.ticketId, { lastActivityAt: new Date(Date.UTC(2026, 0, 1 + i)) })
    }
    await setTicket(created[6]!.ticketId, { status: 'resolved' })
    const current = created[7]!

    const page = await loadTicket(agent, current.number)
    expect(page.status).toBe(200)
    const card = page.data.customer
    expect(card).toMatchObject({ name: 'Ada', email, company: 'Analytical', ticketCount: 8, bouncing: null })
    expect(card.others.map((t: { subject: string }) => t.subject)).toEqual([
      'Question 6',
      'Question 5',
      'Question 4',
      'Question 3',
      'Question 2',
    ])
    expect(card.others[0]).toMatchObject({ number: created[6]!.number, status: 'resolved' })
  })

  it('derives no company from a free-mail address, and marks a bouncing address', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent, { customerEmail: 'someone@gmail.com' })
    const contact = await contactOf(ticket.ticketId)
    await getDb()
      .update(contacts)
      .set({ bouncedAt: new Date('2026-02-01T10:00:00Z'), bounceReason: 'mailbox does not exist' })
      .where(eq(contacts.id, contact.id))
    const card = (await loadTicket(agent, ticket.number)).data.customer
    expect(card.company).toBeNull()
    expect(card.others).toEqual([])
    expect(card.ticketCount).toBe(1)
    expect(card.bouncing).toEqual({ at: '2026-02-01T10:00:00.000Z', reason: 'mailbox does not exist' })
  })

  it('saves company, time zone and notes, returns to the ticket, and audits what changed', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent, { customerEmail: 'lin@acme.example' })
    const contact = await contactOf(ticket.ticketId)
    const saved = await postProfile(agent, contact.id, {
      company: 'Acme Europe',
      timeZone: 'europe/paris',
      notes: 'Prefers email over phone.\nVIP since 2024.',
      returnTo: String(ticket.number),
    })
    expect(saved.status).toBe(302)
    expect(saved.location).toBe(`/w/${agent.workspace.slug}/tickets/${ticket.number}#customer`)
    expect(await contactOf(ticket.ticketId)).toMatchObject({
      company: 'Acme Europe',
      timeZone: 'Europe/Paris',
      notes: 'Prefers email over phone.\nVIP since 2024.',
    })
    const audits = await profileAudits(agent.workspace.id)
    expect(audits).toEqual([
      {
        actorUserId: agent.user.id,
        targetId: contact.id,
        data: {
          company: { before: 'Acme', after: 'Acme Europe' },
          timeZone: { before: null, after: 'Europe/Paris' },
          notes: true,
        },
      },
    ])
    const card = (await loadTicket(agent, ticket.number)).data.customer
    expect(card).toMatchObject({ company: 'Acme Europe', timeZone: 'Europe/Paris' })

    // Saving the same values again changes nothing and writes no audit row.
    await postProfile(agent, contact.id, {
      company: 'Acme Europe',
      timeZone: 'Europe/Paris',
      notes: 'Prefers email over phone.\nVIP since 2024.',
    })
    expect(await profileAudits(agent.workspace.id)).toHaveLength(1)
  })

  it('keeps a derived company derived when only the notes change, and lets agents clear it', async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent, { customerEmail: 'kim@initech.example' })
    const contact = await contactOf(ticket.ticketId)
    await postProfile(agent, contact.id, { company: 'Initech', notes: 'Call before noon.' })
    expect(await contactOf(ticket.ticketId)).toMatchObject({ company: null, notes: 'Call before noon.' })
    await postProfile(agent, contact.id, { company: '', notes: 'Call before noon.' })
    expect((await contactOf(ticket.ticketId)).company).toBe('')
    expect((await loadTicket(agent, ticket.number)).data.customer.company).toBe('')
  })

  it.each([
    [{ timeZone: 'Mars/Olympus_Mons' }, 'timeZone', 'Unknown time zone: use a name such as Europe/Paris'],
    [{ notes: 'x'.repeat(5001) }, 'notes', 'Notes can be at most 5,000 characters'],
    [{ company: 'y'.repeat(101) }, 'company', 'Use at most 100 characters'],
  ])('refuses %o with a field error and writes nothing', async (form, field, message) => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const contact = await contactOf(ticket.ticketId)
    const refused = await postProfile(agent, contact.id, form as Record<string, string>)
    expect(refused.status).toBe(400)
    expect(refused.data.intent).toBe('profile')
    expect(refused.data.result.error[field]).toEqual([message])
    expect(await contactOf(ticket.ticketId)).toMatchObject({ company: null, timeZone: null, notes: '' })
    expect(await profileAudits(agent.workspace.id)).toEqual([])
  })

  it("keeps a teammate's save in the fields this agent did not edit since the form was drawn", async () => {
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent, { customerEmail: 'ines@acme-tools.example' })
    const contact = await contactOf(ticket.ticketId)
    // Both agents' forms are drawn from the card as the ticket page serves it.
    const card = (await loadTicket(agent, ticket.number)).data.customer
    const drawn = profileBase(card)
    expect(JSON.parse(drawn)).toEqual({ company: 'Acme-tools', timeZone: '', notes: '' })
    // The first saves notes and a zone; the second, from a form drawn before, changes the company.
    await postProfile(agent, contact.id, {
      base: drawn,
      company: 'Acme-tools',
      timeZone: 'Europe/Lisbon',
      notes: 'VIP: answer within the hour.',
    })
    await postProfile(agent, contact.id, { base: drawn, company: 'Acme Tools', timeZone: '', notes: '' })
    expect(await contactOf(ticket.ticketId)).toMatchObject({
      company: 'Acme Tools',
      timeZone: 'Europe/Lisbon',
      notes: 'VIP: answer within the hour.',
    })
    // A field the second agent edited while the first saved it too is not saved over the first's
    // text unseen: 409, what is stored now named, nothing written (found from outside: the second
    // of two agents typing notes silently replaced the first's)...
    const conflict = await postProfile(agent, contact.id, {
      base: drawn,
      company: 'Acme Tools',
      timeZone: '',
      notes: 'Cleared.',
    })
    expect(conflict.status).toBe(409)
    // (The zone, posted as drawn, was not edited: it is no conflict, and stays the teammate's.)
    expect(conflict.data.conflict).toEqual([{ name: 'notes', value: 'VIP: answer within the hour.' }])
    expect(conflict.data.result.initialValue).toMatchObject({ notes: 'Cleared.' })
    expect(await contactOf(ticket.ticketId)).toMatchObject({ notes: 'VIP: answer within the hour.' })
    // ...and saved once the form showed the teammate's value (`replace`, with JavaScript), as
    // it replaces it knowingly, or when drawn again from what is stored (the page without it).
    const replaced = await postProfile(agent, contact.id, {
      base: drawn,
      company: 'Acme Tools',
      timeZone: 'Europe/Lisbon',
      notes: 'Cleared.',
      replace: 'notes',
    })
    expect(replaced.status).toBe(302)
    expect(await contactOf(ticket.ticketId)).toMatchObject({ notes: 'Cleared.', timeZone: 'Europe/Lisbon' })
    // Edited to what the teammate saved: nothing to decide.
    const same = await postProfile(agent, contact.id, {
      base: drawn,
      company: 'Acme Tools',
      timeZone: 'Europe/Lisbon',
      notes: 'Cleared.',
    })
    expect(same.status).toBe(302)
    await postProfile(agent, contact.id, {
      base: profileBase((await loadTicket(agent, ticket.number)).data.customer),
      company: 'Acme Tools',
      timeZone: 'Europe/Lisbon',
      notes: '',
    })
    expect(await contactOf(ticket.ticketId)).toMatchObject({ timeZone: 'Europe/Lisbon', notes: '' })
    // A post without a base (a page from before this change) or with one that cannot be read saves
    // every field as posted, as before.
    await postProfile(agent, contact.id, { company: 'Acme', timeZone: '', notes: 'Whole form.' })
    expect(await contactOf(ticket.ticketId)).toMatchObject({
      company: 'Acme',
      timeZone: null,
      notes: 'Whole form.',
    })
    await postProfile(agent, contact.id, {
      base: '{not json',
      company: 'Acme',
      timeZone: 'Asia/Tokyo',
      notes: '',
    })
    expect(await contactOf(ticket.ticketId)).toMatchObject({ timeZone: 'Asia/Tokyo', notes: '' })
  })

  it('serves the plain form with the base it was drawn from, and an untouched field posted from it keeps a later save', async () => {
    server ??= await startTestServer({ sockets: false })
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent, { customerEmail: 'ola@fjord.example' })
    const contact = await contactOf(ticket.ticketId)
    const html = await (
      await fetch(`${server.url}/w/${agent.workspace.slug}/tickets/${ticket.number}`, {
        headers: { cookie: agent.cookie },
      })
    ).text()
    const base = /name="base" value="([^"]*)"/.exec(html)?.[1]
    expect(base).toBeDefined()
    const drawn = base!.replaceAll('&quot;', '"').replaceAll('&amp;', '&')
    expect(JSON.parse(drawn)).toEqual({ company: 'Fjord', timeZone: '', notes: '' })
    await postProfile(agent, contact.id, {
      base: drawn,
      company: 'Fjord',
      timeZone: '',
      notes: 'From the other tab.',
    })
    await postProfile(agent, contact.id, { base: drawn, company: 'Fjord AS', timeZone: '', notes: '' })
    expect(await contactOf(ticket.ticketId)).toMatchObject({
      company: 'Fjord AS',
      notes: 'From the other tab.',
    })
  })

  it('answers a page post with a field sent twice by the page with the error, not a 500', async () => {
    server ??= await startTestServer({ sockets: false })
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent)
    const contact = await contactOf(ticket.ticketId)
    const body = new URLSearchParams([
      ['intent', 'profile'],
      ['company', 'Twice Ltd'],
      ['company', 'Twice Ltd'],
      ['timeZone', ''],
      ['notes', 'x'.repeat(5001)],
    ])
    const response = await fetch(`${server.url}/w/${agent.workspace.slug}/customers/${contact.id}`, {
      method: 'POST',
      headers: { cookie: agent.cookie, origin: server.url },
      body,
      redirect: 'manual',
    })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('Save customer details')
    expect((await contactOf(ticket.ticketId)).notes).toBe('')
  })

  it("is a 404 for another workspace's customer, and changes nothing there", async () => {
    const owner = await createMember('owner')
    const outsider = await createMember('owner')
    const ticket = await createTicketFor(owner)
    const contact = await contactOf(ticket.ticketId)
    // Through the outsider's own workspace URL, and through the owner's (not a member there).
    const viaOwnSlug = await postProfile(outsider, contact.id, { notes: 'mine now' })
    expect(viaOwnSlug.status).toBe(404)
    const viaTheirSlug = await postProfile(outsider, contact.id, { notes: 'mine now' }, owner.workspace.slug)
    expect(viaTheirSlug.status).toBe(404)
    const page = await callLoader(customerRoute, `/w/${outsider.workspace.slug}/customers/${contact.id}`, {
      cookie: outsider.cookie,
      params: { slug: outsider.workspace.slug, id: contact.id },
    })
    expect(page.status).toBe(404)
    expect((await contactOf(ticket.ticketId)).notes).toBe('')
  })

  it('renders the profile form as a plain form that saves without JavaScript and comes back to the ticket', async () => {
    server ??= await startTestServer({ sockets: false })
    const agent = await createMember('agent')
    const ticket = await createTicketFor(agent, { customerEmail: 'noor@plainform.example' })
    const contact = await contactOf(ticket.ticketId)
    const page = `${server.url}/w/${agent.workspace.slug}/tickets/${ticket.number}`
    const html = await (await fetch(page, { headers: { cookie: agent.cookie } })).text()
    const action = `/w/${agent.workspace.slug}/customers/${contact.id}`
    const form = html.slice(html.indexOf(`action="${action}"`), html.indexOf('Save customer details'))
    expect(form).toContain('name="intent" value="profile"')
    expect(form).toContain(`name="returnTo" value="${ticket.number}"`)
    expect(form).toMatch(/name="company"[^>]*value="Plainform"/)
    expect(form).toContain('name="timeZone"')
    expect(form).toContain('name="notes"')
    // What a browser without JavaScript posts from it.
    const saved = await fetch(server.url + action, {
      method: 'POST',
      headers: { cookie: agent.cookie, origin: server.url },
      body: new URLSearchParams({
        intent: 'profile',
        returnTo: String(ticket.number),
        company: 'Plainform Ltd',
        timeZone: 'Asia/Tokyo',
        notes: 'Saved without JavaScript.',
      }),
      redirect: 'manual',
    })
    expect(saved.status).toBe(302)
    expect(saved.headers.get('location')).toBe(`/w/${agent.workspace.slug}/tickets/${ticket.number}#customer`)
    expect(await contactOf(ticket.ticketId)).toMatchObject({
      company: 'Plainform Ltd',
      timeZone: 'Asia/Tokyo',
      notes: 'Saved without JavaScript.',
    })
  })
})
