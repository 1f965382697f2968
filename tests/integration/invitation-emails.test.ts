import { and, eq, isNull, like } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails, invitations } from '#db/schema.ts'
import { INVITE_ADDRESS_LIMIT, INVITE_NEW_LIMIT } from '#app/domain/invitations.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as inviteRoute from '#app/routes/invite.$token.tsx'
import * as membersRoute from '#app/routes/w.$slug.settings.members.tsx'
import { createMember, workspaceSnapshot } from '#tests/helpers/factories.ts'
import { callAction, callLoader } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { withEmailLink } from '#app/domain/email-link.server.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
})

type Actor = Awaited<ReturnType<typeof createMember>>

function members(actor: Actor, form: Record<string, string>) {
  const slug = actor.workspace.slug
  return callAction(membersRoute, `/w/${slug}/settings/members`, form, {
    cookie: actor.cookie,
    params: { slug },
  })
}

/** The invitation emails to `address`, as sent (their link's token filled in: email-link.server.ts). */
async function invitationEmailsTo(address: string) {
  const rows = await getDb()
    .select({ text: emails.text, html: emails.html, subject: emails.subject, linkId: emails.linkId })
    .from(emails)
    .where(and(eq(emails.kind, 'invitation'), eq(emails.toAddress, address)))
    .orderBy(emails.createdAt)
  return rows.map(({ linkId, ...row }) => ({
    ...row,
    text: withEmailLink(row.text, linkId),
    html: withEmailLink(row.html, linkId),
  }))
}

const tokenIn = (text: string) => /\/invite\/([A-Za-z0-9_-]+)/.exec(text)![1]

async function invitationId(address: string) {
  const [row] = await getDb()
    .select({ id: invitations.id })
    .from(invitations)
    .where(eq(invitations.email, address))
  return row.id
}

async function inviteIsOpen(token: string) {
  const page = await callLoader(inviteRoute, `/invite/${token}`, { params: { token } })
  return page.data.status === 'open'
}

describe('invitations by email', () => {
  it('emails the same link the members page shows to copy', async () => {
    const owner = await createMember('owner')
    const result = await members(owner, { intent: 'invite', email: 'new.agent@example.com', role: 'agent' })
    expect(result.status).toBe(200)
    expect(result.data.notice).toBe(
      'Invitation emailed to new.agent@example.com. You can also copy the link below and send it yourself.',
    )
    const sent = await invitationEmailsTo('new.agent@example.com')
    expect(sent).toHaveLength(1)
    expect(sent[0].subject).toMatch(/^You are invited to .+ on Switchboard$/)
    expect(result.data.inviteLink).toBe(`http://localhost:3000/invite/${tokenIn(sent[0].text)}`)
    expect(await inviteIsOpen(tokenIn(sent[0].text))).toBe(true)
    // The stored email holds the link's placeholder, not its token: it opens nothing.
    const [stored] = await getDb()
      .select({ text: emails.text, html: emails.html, linkId: emails.linkId })
      .from(emails)
      .where(and(eq(emails.kind, 'invitation'), eq(emails.toAddress, 'new.agent@example.com')))
    expect(`${stored.text}${stored.html}`).not.toContain(tokenIn(sent[0].text))
    expect(tokenIn(stored.text)).toBe(`sb-link-${stored.linkId}`)
    expect(await inviteIsOpen(tokenIn(stored.text))).toBe(false)
  })

  it('resends with a fresh link that replaces the old one, at most the limit per hour', async () => {
    const owner = await createMember('owner')
    await members(owner, { intent: 'invite', email: 'resend.me@example.com', role: 'agent' })
    const id = await invitationId('resend.me@example.com')
    const results = await Promise.all(
      Array.from({ length: 10 }, () => members(owner, { intent: 'resend-invite', invitationId: id })),
    )
    // The first email and 3 resends an hour.
    expect(results.filter((r) => r.status === 200)).toHaveLength(INVITE_ADDRESS_LIMIT.max - 1)
    const refused = results.filter((r) => r.status === 429)
    expect(refused).toHaveLength(10 - (INVITE_ADDRESS_LIMIT.max - 1))
    expect(refused[0].data.result.error['']).toEqual([
      'This address was sent 4 invitation emails from this workspace in the last hour. Try again later.',
    ])
    const sent = await invitationEmailsTo('resend.me@example.com')
    expect(sent).toHaveLength(INVITE_ADDRESS_LIMIT.max)
    // Only one of the links works: the one stored last.
    const open = await Promise.all(sent.map((s) => inviteIsOpen(tokenIn(s.text))))
    expect(open.filter(Boolean)).toHaveLength(1)
  })

  it('revoking kills the emailed link', async () => {
    const owner = await createMember('owner')
    await members(owner, { intent: 'invite', email: 'revoke.me@example.com', role: 'agent' })
    const [sent] = await invitationEmailsTo('revoke.me@example.com')
    const id = await invitationId('revoke.me@example.com')
    // `confirmed` answers the confirmation step the page may ask for first.
    const revoked = await members(owner, { intent: 'revoke-invite', invitationId: id, confirmed: '1' })
    expect(revoked.data.notice).toBe('Invitation revoked.')
    expect(await inviteIsOpen(tokenIn(sent.text))).toBe(false)
    // A revoked invitation cannot be resent.
    expect((await members(owner, { intent: 'resend-invite', invitationId: id })).status).toBe(404)
  })

  it('another workspace cannot resend it (404), an agent may not (403)', async () => {
    const owner = await createMember('owner')
    await members(owner, { intent: 'invite', email: 'tenancy@example.com', role: 'agent' })
    const id = await invitationId('tenancy@example.com')
    const stranger = await createMember('owner')
    expect((await members(stranger, { intent: 'resend-invite', invitationId: id })).status).toBe(404)
    const agent = await createMember('agent', owner.workspace)
    expect((await members(agent, { intent: 'resend-invite', invitationId: id })).status).toBe(403)
    expect(await invitationEmailsTo('tenancy@example.com')).toHaveLength(1)
  })

  it('refuses to invite a member (any case), next to the email field, and writes and sends nothing', async () => {
    const owner = await createMember('owner')
    const agent = await createMember('agent', owner.workspace)
    const before = await workspaceSnapshot(owner.workspace.id)
    const result = await members(owner, {
      intent: 'invite',
      email: agent.user.email.toUpperCase(),
      role: 'admin',
    })
    expect(result.status).toBe(400)
    expect(result.data.result.error.email).toEqual([
      `${agent.user.email} is already a member of this workspace.`,
    ])
    // Typed values are kept for the page without JavaScript.
    expect(result.data.result.initialValue).toMatchObject({
      email: agent.user.email.toUpperCase(),
      role: 'admin',
    })
    expect(result.data.inviteLink).toBeNull()
    expect(await workspaceSnapshot(owner.workspace.id)).toEqual(before)
    expect(await invitationEmailsTo(agent.user.email.toUpperCase())).toHaveLength(0)
    // A member of another workspace is invited as usual.
    const stranger = await createMember('owner')
    expect(
      (await members(stranger, { intent: 'invite', email: agent.user.email, role: 'agent' })).status,
    ).toBe(200)
  })

  it('a second invitation to a pending address renews that one: one row, the new role, only the new link works', async () => {
    const owner = await createMember('owner')
    await members(owner, { intent: 'invite', email: 'twice@example.com', role: 'agent' })
    const again = await members(owner, { intent: 'invite', email: 'Twice@Example.com', role: 'admin' })
    expect(again.status).toBe(200)
    expect(again.data.notice).toBe(
      'Twice@Example.com already had a pending invitation: emailed again with a new link (the previous one no longer works). You can also copy it below.',
    )
    const rows = await getDb()
      .select({ email: invitations.email, role: invitations.role })
      .from(invitations)
      .where(eq(invitations.workspaceId, owner.workspace.id))
    expect(rows).toEqual([{ email: 'twice@example.com', role: 'admin' }])
    const sent = await invitationEmailsTo('twice@example.com')
    expect(sent).toHaveLength(2)
    expect(await inviteIsOpen(tokenIn(sent[0].text))).toBe(false)
    expect(await inviteIsOpen(tokenIn(sent[1].text))).toBe(true)
    expect(again.data.inviteLink).toBe(`http://localhost:3000/invite/${tokenIn(sent[1].text)}`)
  })

  it('invitations to one address at once make one, and every email to it counts: 30 in parallel send 4', async () => {
    // Each request that found the pending invitation only inside the lock renewed and emailed it
    // without a resend slot: 30 parallel invitations to one address were 30 emails.
    const owner = await createMember('owner')
    const invite = () => members(owner, { intent: 'invite', email: 'race@example.com', role: 'agent' })
    const results = await Promise.all(Array.from({ length: 30 }, invite))
    expect(results.filter((r) => r.status === 200)).toHaveLength(INVITE_ADDRESS_LIMIT.max)
    const refused = results.filter((r) => r.status === 429)
    expect(refused).toHaveLength(30 - INVITE_ADDRESS_LIMIT.max)
    expect(refused[0].data.result.error.email).toEqual([
      'race@example.com was sent 4 invitation emails from this workspace in the last hour. Try again later.',
    ])
    expect(refused[0].data.result.initialValue.email).toBe('race@example.com')
    const rows = await getDb()
      .select({ id: invitations.id })
      .from(invitations)
      .where(eq(invitations.workspaceId, owner.workspace.id))
    expect(rows).toHaveLength(1)
    expect(await invitationEmailsTo('race@example.com')).toHaveLength(INVITE_ADDRESS_LIMIT.max)
    // Another address, and the same address from another workspace, are not limited by it.
    expect(
      (await members(owner, { intent: 'invite', email: 'calm@example.com', role: 'agent' })).status,
    ).toBe(200)
    const other = await createMember('owner')
    expect(
      (await members(other, { intent: 'invite', email: 'race@example.com', role: 'agent' })).status,
    ).toBe(200)
  })

  it('revoking and inviting an address again counts against the same limit', async () => {
    // Per invitation, each new one got 3 resends of its own: 5 rounds of revoke, invite and
    // resend sent 20 emails to one address.
    const owner = await createMember('owner')
    const email = 'again@example.com'
    for (let round = 0; round < INVITE_ADDRESS_LIMIT.max; round++) {
      expect((await members(owner, { intent: 'invite', email, role: 'agent' })).status).toBe(200)
      const [open] = await getDb()
        .select({ id: invitations.id })
        .from(invitations)
        .where(and(eq(invitations.email, email), isNull(invitations.revokedAt)))
      expect(
        (await members(owner, { intent: 'revoke-invite', invitationId: open!.id, confirmed: '1' })).status,
      ).toBe(200)
    }
    const before = await workspaceSnapshot(owner.workspace.id)
    const refused = await members(owner, { intent: 'invite', email, role: 'agent' })
    expect(refused.status).toBe(429)
    expect(refused.data.result.error.email).toEqual([
      'again@example.com was sent 4 invitation emails from this workspace in the last hour. Try again later.',
    ])
    expect(await workspaceSnapshot(owner.workspace.id)).toEqual(before)
    expect(await invitationEmailsTo(email)).toHaveLength(INVITE_ADDRESS_LIMIT.max)
  })

  it(`new invitations: at most ${INVITE_NEW_LIMIT.max} an hour per inviter, exactly, under a parallel burst`, async () => {
    // Each one emails an address and a workspace name the inviter chose: a fresh signup sent
    // any number of them before (a probe: 60 at once, 60 emails).
    const owner = await createMember('owner')
    const burst = INVITE_NEW_LIMIT.max + 10
    const address = (i: number) => `burst-${i}-${owner.user.id}@example.com`
    const results = await Promise.all(
      Array.from({ length: burst }, (_, i) =>
        members(owner, { intent: 'invite', email: address(i), role: 'agent' }),
      ),
    )
    expect(results.filter((r) => r.status === 200)).toHaveLength(INVITE_NEW_LIMIT.max)
    const refused = results.filter((r) => r.status === 429)
    expect(refused).toHaveLength(10)
    expect(refused[0].data.result.error.email).toEqual([
      `You sent ${INVITE_NEW_LIMIT.max} new invitations in the last hour. Try again later.`,
    ])
    // The typed address is kept in the refused form.
    expect(refused[0].data.result.initialValue.email).toMatch(/^burst-\d+-/)
    const rows = await getDb()
      .select({ id: invitations.id })
      .from(invitations)
      .where(eq(invitations.workspaceId, owner.workspace.id))
    expect(rows).toHaveLength(INVITE_NEW_LIMIT.max)
    const sent = await getDb()
      .select({ id: emails.id })
      .from(emails)
      .where(
        and(eq(emails.kind, 'invitation'), like(emails.toAddress, `burst-%-${owner.user.id}@example.com`)),
      )
    expect(sent).toHaveLength(INVITE_NEW_LIMIT.max)
    // Re-inviting an address already invited is a resend, under its own limit: still allowed.
    const invited = (
      await getDb()
        .select({ email: invitations.email })
        .from(invitations)
        .where(eq(invitations.workspaceId, owner.workspace.id))
    )[0].email
    expect((await members(owner, { intent: 'invite', email: invited, role: 'agent' })).status).toBe(200)
  })
})
