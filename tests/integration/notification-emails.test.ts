import { and, eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails, notificationEmailOptOuts, notifications, users } from '#db/schema.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { unsubscribeToken } from '#app/domain/notification-emails.server.ts'
import { updateTickets } from '#app/domain/tickets.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as accountRoute from '#app/routes/account.tsx'
import * as unsubscribeRoute from '#app/routes/notifications.unsubscribe.$token.tsx'
import { findMentions } from '#app/utils/mentions.ts'
import { asMember, createMember, createTicketFor, createUser } from '#tests/helpers/factories.ts'
import { callAction, callLoader } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
})

type Agent = Awaited<ReturnType<typeof createMember>>

async function verified(agent: Agent) {
  await getDb().update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.id, agent.user.id))
  return agent
}

async function named(agent: Agent, name: string) {
  await getDb().update(users).set({ name }).where(eq(users.id, agent.user.id))
  return { ...agent, user: { ...agent.user, name } }
}

async function note(author: Agent, number: number, body: string) {
  const outcome = await replyToTicket(asMember(author), number, { kind: 'note', body })
  if (outcome.kind !== 'sent') throw new Error(outcome.kind)
  return outcome
}

async function notificationsOf(agent: Agent) {
  return getDb()
    .select({ kind: notifications.kind, workspaceId: notifications.workspaceId })
    .from(notifications)
    .where(eq(notifications.userId, agent.user.id))
}

async function emailsTo(agent: Agent) {
  return getDb()
    .select({ subject: emails.subject, text: emails.text, headers: emails.headers })
    .from(emails)
    .where(and(eq(emails.kind, 'notification'), eq(emails.toAddress, agent.user.email)))
}

describe('mentions in notes', () => {
  it('notify the mentioned member in the bell and by email, in the note’s transaction', async () => {
    const author = await named(await createMember('agent'), 'Alex Author')
    const dana = await verified(await named(await createMember('agent', author.workspace), 'Dana Scully'))
    const ticket = await createTicketFor(author, { subject: 'Printer on fire' })
    const outcome = await note(
      author,
      ticket.number,
      'Can you look at this, @Dana Scully? Thanks @alexauthor',
    )
    expect(outcome.events).toContainEqual(
      expect.objectContaining({ type: 'notification.created', userId: dana.user.id, kind: 'mentioned' }),
    )
    expect(await notificationsOf(dana)).toEqual([{ kind: 'mentioned', workspaceId: author.workspace.id }])
    // The author mentioned themselves: nothing.
    expect(await notificationsOf(author)).toEqual([])
    const [sent] = await emailsTo(dana)
    expect(sent.subject).toBe(`Alex Author mentioned you in a note on #${ticket.number} “Printer on fire”`)
    expect(sent.text).toContain('Can you look at this, @Dana Scully?')
    expect(sent.text).toContain(`http://localhost:3000/w/${author.workspace.slug}/tickets/${ticket.number}`)
    expect(sent.text).toContain(
      `http://localhost:3000/notifications/unsubscribe/${unsubscribeToken(dana.user.id, 'mentioned')}`,
    )
    expect(sent.headers['List-Unsubscribe']).toMatch(
      /^<http:\/\/localhost:3000\/notifications\/unsubscribe\//,
    )
    expect(sent.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click')
    // A second notification of this ticket joins the first in the agent's mail client; another
    // ticket's starts a conversation of its own.
    await note(author, ticket.number, 'And this one, @Dana Scully.')
    const other = await createTicketFor(author, { subject: 'Fax on fire' })
    await note(author, other.number, '@Dana Scully here too.')
    const all = await emailsTo(dana)
    expect(all).toHaveLength(3)
    const parent = `<notifications-${ticket.ticketId}@localhost>`
    expect(all.map((e) => [e.headers['In-Reply-To'], e.headers.References])).toEqual([
      [parent, parent],
      [parent, parent],
      [`<notifications-${other.ticketId}@localhost>`, `<notifications-${other.ticketId}@localhost>`],
    ])
  })

  it('cuts a long note for the email between characters, never inside an emoji', async () => {
    const author = await createMember('agent')
    const dana = await verified(await named(await createMember('agent', author.workspace), 'Dana Scully'))
    const ticket = await createTicketFor(author)
    // The 1,000th UTF-16 unit is the first half of the emoji.
    await note(author, ticket.number, `@Dana Scully ${'a'.repeat(1000 - 14)}😀 and more after it`)
    const [sent] = await emailsTo(dana)
    expect(sent.text).not.toContain('\uFFFD')
    expect(sent.text).toContain(`${'a'.repeat(986)}`)
    expect(sent.text).not.toContain('😀')
  })

  it('a mention of a member of another workspace does nothing', async () => {
    const author = await createMember('agent')
    const outsider = await verified(await named(await createMember('agent'), 'Olga Outsider'))
    const ticket = await createTicketFor(author)
    const outcome = await note(author, ticket.number, 'ping @Olga Outsider and @olgaoutsider and @olga')
    expect(outcome.events.filter((e) => e.type === 'notification.created')).toEqual([])
    expect(await notificationsOf(outsider)).toEqual([])
    expect(await emailsTo(outsider)).toEqual([])
  })

  it('a public reply mentions nobody', async () => {
    const author = await createMember('agent')
    const dana = await verified(await named(await createMember('agent', author.workspace), 'Dana Reply'))
    const ticket = await createTicketFor(author)
    await replyToTicket(asMember(author), ticket.number, { kind: 'reply', body: 'Hi, @Dana Reply will help' })
    expect(await notificationsOf(dana)).toEqual([])
  })

  it('an unconfirmed address gets the bell but no email', async () => {
    const author = await createMember('agent')
    const unconfirmed = await named(await createMember('agent', author.workspace), 'Uma Unconfirmed')
    const ticket = await createTicketFor(author)
    await note(author, ticket.number, '@uma please check')
    expect(await notificationsOf(unconfirmed)).toHaveLength(1)
    expect(await emailsTo(unconfirmed)).toEqual([])
  })

  it('parses handles, full names and unique first names; ambiguous first names and emails match nobody', () => {
    const members = [
      { userId: 'a', name: 'Dana Scully' },
      { userId: 'b', name: 'Dana Katz' },
      { userId: 'c', name: 'Fox Mulder' },
    ]
    expect(findMentions('@dana hello', members)).toEqual([])
    expect(findMentions('@Dana Katz and @danascully', members)).toEqual(['b', 'a'])
    expect(findMentions('@fox, @FOX MULDER', members)).toEqual(['c'])
    expect(findMentions('mail fox@fox.example', members)).toEqual([])
    expect(findMentions('@foxy', members)).toEqual([])
  })
})

describe('assignment and customer-reply emails', () => {
  it('emails the assignee, with the assigner’s name', async () => {
    const lead = await named(await createMember('admin'), 'Lee Lead')
    const agent = await verified(await createMember('agent', lead.workspace))
    const ticket = await createTicketFor(lead, { subject: 'Refund' })
    await updateTickets(asMember(lead), [ticket.ticketId], {
      assigneeId: agent.user.id,
    })
    const [sent] = await emailsTo(agent)
    expect(sent.subject).toBe(`Lee Lead assigned you #${ticket.number} “Refund”`)
  })
})

describe('email preferences', () => {
  it('each kind turns on and off on the account page', async () => {
    const lead = await createMember('admin')
    const agent = await verified(await createMember('agent', lead.workspace))
    const off = await callAction(
      accountRoute,
      '/account',
      { intent: 'notification-emails', 'customer-replied': 'on', mentioned: 'on' },
      { cookie: agent.cookie },
    )
    expect(off.data.notice).toBe('Email notifications saved.')
    // The account page lives in the workspace shell (/account redirects there).
    const page = await callLoader(accountRoute, `/w/${lead.workspace.slug}/account`, {
      cookie: agent.cookie,
      params: { slug: lead.workspace.slug },
    })
    expect(page.data.notificationEmails).toEqual({
      assigned: false,
      'customer-replied': true,
      mentioned: true,
    })
    const ticket = await createTicketFor(lead)
    await updateTickets(asMember(lead), [ticket.ticketId], {
      assigneeId: agent.user.id,
    })
    expect(await notificationsOf(agent)).toHaveLength(1)
    expect(await emailsTo(agent)).toEqual([])
    await callAction(
      accountRoute,
      '/account',
      { intent: 'notification-emails', assigned: 'on', 'customer-replied': 'on', mentioned: 'on' },
      { cookie: agent.cookie },
    )
    const second = await createTicketFor(lead)
    await updateTickets(asMember(lead), [second.ticketId], {
      assigneeId: agent.user.id,
    })
    expect(await emailsTo(agent)).toHaveLength(1)
  })
})

describe('unsubscribe link', () => {
  it('GET asks and changes nothing; POST turns the kind off; no sign-in needed', async () => {
    const author = await createMember('agent')
    const dana = await verified(await named(await createMember('agent', author.workspace), 'Dana Unsub'))
    const token = unsubscribeToken(dana.user.id, 'mentioned')
    const page = await callLoader(unsubscribeRoute, `/notifications/unsubscribe/${token}`, {
      params: { token },
    })
    expect(page.status).toBe(200)
    expect(page.data.label).toBe('Mentioned in a note')
    expect(page.data.email).toMatch(/^us…@example\.com$/)
    const optOuts = () =>
      getDb()
        .select({ kind: notificationEmailOptOuts.kind })
        .from(notificationEmailOptOuts)
        .where(eq(notificationEmailOptOuts.userId, dana.user.id))
    expect(await optOuts()).toEqual([])
    const done = await callAction(
      unsubscribeRoute,
      `/notifications/unsubscribe/${token}`,
      {},
      { params: { token } },
    )
    expect(done.data).toEqual({ done: true })
    expect(await optOuts()).toEqual([{ kind: 'mentioned' }])
    const ticket = await createTicketFor(author)
    await note(author, ticket.number, '@Dana Unsub look')
    expect(await notificationsOf(dana)).toHaveLength(1)
    expect(await emailsTo(dana)).toEqual([])
  })

  it('takes the one-click POST a mail provider sends (RFC 8058): no Origin, no cookie', async () => {
    // Found from outside: the emails had List-Unsubscribe without List-Unsubscribe-Post, and the
    // provider's POST, which carries no Origin of ours, was refused by the origin check (403).
    const author = await createMember('agent')
    const dana = await verified(await named(await createMember('agent', author.workspace), 'Dana Click'))
    const token = unsubscribeToken(dana.user.id, 'assigned')
    const server = await startTestServer({ sockets: false })
    try {
      const answer = await fetch(`${server.url}/notifications/unsubscribe/${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
        redirect: 'manual',
      })
      expect(answer.status).toBe(200)
      const kinds = await getDb()
        .select({ kind: notificationEmailOptOuts.kind })
        .from(notificationEmailOptOuts)
        .where(eq(notificationEmailOptOuts.userId, dana.user.id))
      expect(kinds).toEqual([{ kind: 'assigned' }])
      // Any other POST without our Origin is still refused.
      const other = await fetch(`${server.url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'email=x',
        redirect: 'manual',
      })
      expect(other.status).toBe(403)
    } finally {
      await server.close()
    }
  })

  it('refuses a bad signature, another kind or another user with 400, on GET and POST', async () => {
    const a = await createUser()
    const b = await createUser()
    const good = unsubscribeToken(a.id, 'assigned')
    const [, , sig] = good.split('.')
    const forged = [
      `${a.id}.assigned.${sig.slice(0, -2)}xx`,
      `${a.id}.mentioned.${sig}`,
      `${b.id}.assigned.${sig}`,
      `${a.id}.webhook-disabled.${sig}`,
      'garbage',
    ]
    for (const token of forged) {
      const get = await callLoader(unsubscribeRoute, `/notifications/unsubscribe/${token}`, {
        params: { token },
      })
      expect(get.status).toBe(400)
      const post = await callAction(
        unsubscribeRoute,
        `/notifications/unsubscribe/${token}`,
        {},
        { params: { token } },
      )
      expect(post.status).toBe(400)
    }
    expect(
      await getDb().select().from(notificationEmailOptOuts).where(eq(notificationEmailOptOuts.userId, a.id)),
    ).toEqual([])
  })
})
