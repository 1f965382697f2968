import { eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails, mailboxes, memberships, users } from '#db/schema.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as accountRoute from '#app/routes/account.tsx'
import * as detectRoute from '#app/routes/account_.time-zone.ts'
import * as rootRoute from '#app/root.tsx'
import { createMember, createTicketFor, createUser, signIn } from '#tests/helpers/factories.ts'
import { callAction, callLoader, withJson } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

async function stored(userId: string) {
  const [row] = await getDb()
    .select({ timeZone: users.timeZone, signature: users.signature })
    .from(users)
    .where(eq(users.id, userId))
  return row
}

function postAccount(cookie: string, form: Record<string, string>, slug?: string) {
  const path = slug ? `/w/${slug}/account` : '/account'
  return callAction(accountRoute, path, form, { cookie, params: slug ? { slug } : {} })
}

function detect(cookie: string, form: Record<string, string>) {
  return callAction(detectRoute, '/account/time-zone', form, { cookie })
}

describe('the account page in the app shell', () => {
  it('sends /account into the shell of the workspace the user came from, else their first', async () => {
    const member = await createMember('agent')
    const other = await createMember('agent')
    await getDb().insert(memberships).values({
      workspaceId: other.workspace.id,
      userId: member.user.id,
      role: 'agent',
    })
    const plain = await callLoader(accountRoute, '/account', { cookie: member.cookie })
    expect(plain.status).toBe(302)
    expect([`/w/${member.workspace.slug}/account`, `/w/${other.workspace.slug}/account`]).toContain(
      plain.location,
    )
    const fromOther = await callLoader(accountRoute, '/account', {
      cookie: member.cookie,
      headers: { referer: `http://localhost:3000/w/${other.workspace.slug}/tickets` },
    })
    expect(fromOther.location).toBe(`/w/${other.workspace.slug}/account`)

    const slug = member.workspace.slug
    const inShell = await callLoader(accountRoute, `/w/${slug}/account`, {
      cookie: member.cookie,
      params: { slug },
    })
    expect(inShell.status).toBe(200)
    expect(inShell.data).toMatchObject({ inShell: true, timeZone: null, signature: '' })
    expect(inShell.data.timeZones).toContain('Asia/Tokyo')
    expect(inShell.data.timeZones[0]).toBe('UTC')
  })

  it('keeps the card at /account for a user without a workspace', async () => {
    const user = await createUser()
    const { cookie } = await signIn(user.id)
    const result = await callLoader(accountRoute, '/account', { cookie })
    expect(result.status).toBe(200)
    expect(result.data.inShell).toBe(false)
  })

  it('answers 404 in the shell of a workspace the user is not a member of, and writes nothing', async () => {
    const member = await createMember('agent')
    const outsider = await createMember('agent')
    const slug = member.workspace.slug
    const page = await callLoader(accountRoute, `/w/${slug}/account`, {
      cookie: outsider.cookie,
      params: { slug },
    })
    expect(page.status).toBe(404)
    const post = await postAccount(outsider.cookie, { intent: 'time-zone', timeZone: 'Asia/Tokyo' }, slug)
    expect(post.status).toBe(404)
    expect((await stored(outsider.user.id)).timeZone).toBeNull()
  })
})

describe('time zone', () => {
  it('stores a zone from the IANA list and refuses anything else', async () => {
    const member = await createMember('agent')
    const slug = member.workspace.slug
    const saved = await postAccount(member.cookie, { intent: 'time-zone', timeZone: 'Asia/Tokyo' }, slug)
    expect(saved.status).toBe(200)
    expect((await stored(member.user.id)).timeZone).toBe('Asia/Tokyo')

    for (const bad of ['Mars/Olympus_Mons', '+09:00', 'Asia/Tokyo; drop table users', '']) {
      const refused = await postAccount(member.cookie, { intent: 'time-zone', timeZone: bad }, slug)
      expect(refused.status, bad).toBe(400)
      expect(refused.data.result.error.timeZone, bad).toBeTruthy()
    }
    expect((await stored(member.user.id)).timeZone).toBe('Asia/Tokyo')

    // UTC (which Intl does not list) and aliases are accepted under their listed names.
    await postAccount(member.cookie, { intent: 'time-zone', timeZone: 'Etc/UTC' }, slug)
    expect((await stored(member.user.id)).timeZone).toBe('UTC')
  })

  it('adopts the zone the browser detects only while the user has none', async () => {
    const member = await createMember('agent')
    const root = () => callLoader(rootRoute, '/', { cookie: member.cookie })
    expect((await root()).data).toEqual({ timeZone: 'UTC', timeZoneChosen: false })
    // Not a zone of ours: refused with the reason, nothing stored.
    const refused = withJson(await detect(member.cookie, { timeZone: 'Mars/Olympus_Mons' }))
    expect(refused.status).toBe(400)
    expect(refused.data.error.timeZone).toBeTruthy()
    expect((await stored(member.user.id)).timeZone).toBeNull()
    // A 204 (not a redirect) is what tells the page to reload its data in the new zone.
    const adopted = await detect(member.cookie, { timeZone: 'Europe/Paris' })
    expect(adopted.status).toBe(204)
    expect((await stored(member.user.id)).timeZone).toBe('Europe/Paris')
    expect((await root()).data).toEqual({ timeZone: 'Europe/Paris', timeZoneChosen: true })
    // Another browser's zone does not replace the one stored (detected or chosen).
    await detect(member.cookie, { timeZone: 'America/New_York' })
    expect((await stored(member.user.id)).timeZone).toBe('Europe/Paris')
  })

  it('sends a signed-out zone post to sign in, storing nothing', async () => {
    const result = await detect('', { timeZone: 'Europe/Paris' })
    expect(result.status).toBe(302)
    expect(result.location).toMatch(/^\/login/)
  })

  it('gives signed-out visitors UTC', async () => {
    expect((await callLoader(rootRoute, '/')).data).toEqual({ timeZone: 'UTC', timeZoneChosen: null })
  })
})

describe('personal signature', () => {
  it('is limited to 2,000 characters', async () => {
    const member = await createMember('agent')
    const slug = member.workspace.slug
    const refused = await postAccount(
      member.cookie,
      { intent: 'signature', signature: 'x'.repeat(2001) },
      slug,
    )
    expect(refused.status).toBe(400)
    expect(refused.data.result.error.signature).toEqual(['Use at most 2,000 characters'])
    // What the page shows again in the field (without JavaScript it is rendered anew).
    expect(refused.data.result.initialValue.signature).toBe('x'.repeat(2001))
    expect((await stored(member.user.id)).signature).toBe('')
    const saved = await postAccount(
      member.cookie,
      { intent: 'signature', signature: '  Dana\r\nTier 2  ' },
      slug,
    )
    expect(saved.status).toBe(200)
    expect((await stored(member.user.id)).signature).toBe('Dana\nTier 2')
  })

  it('is appended after the mailbox signature in the reply email', async () => {
    const member = await createMember('agent')
    const ticket = await createTicketFor(member)
    await getDb()
      .update(mailboxes)
      .set({ signature: 'The Acme support team' })
      .where(eq(mailboxes.id, ticket.mailboxId))
    await postAccount(member.cookie, { intent: 'signature', signature: 'Dana Scully\nTier 2 support' })
    await replyToTicket(
      {
        userId: member.user.id,
        role: 'agent',
        workspaceId: member.workspace.id,
        workspaceSlug: member.workspace.slug,
        workspaceName: 'W',
        user: { name: member.user.name },
      },
      ticket.number,
      { kind: 'reply', body: 'It ships tomorrow.' },
    )
    const [email] = await getDb()
      .select({ text: emails.text, html: emails.html })
      .from(emails)
      .where(eq(emails.kind, 'agent-reply'))
    const text = email.text
    const mailboxAt = text.indexOf('The Acme support team')
    const personalAt = text.indexOf('Dana Scully')
    expect(mailboxAt).toBeGreaterThan(text.indexOf('It ships tomorrow.'))
    expect(personalAt).toBeGreaterThan(mailboxAt)
    expect(text).toContain('Tier 2 support')
    expect(email.html).toContain('Dana Scully')
  })
})
