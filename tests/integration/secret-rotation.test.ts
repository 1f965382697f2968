import { eq } from 'drizzle-orm'
import { afterEach, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails } from '#db/schema.ts'
import { createSession, sessionIdOf } from '#app/http/auth.server.ts'
import { deliverEmail } from '#app/domain/email.server.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { readUnsubscribeToken, unsubscribeToken } from '#app/domain/notification-emails.server.ts'
import { parseEnv, type AppEnv } from '#app/env.server.ts'
import * as linkRoute from '#app/routes/support.t.$token.tsx'
import { withFakeSendGrid } from '#tests/helpers/email-attempts.ts'
import { asMember, createMember, createTicketFor, createUser, NO_SOCKETS } from '#tests/helpers/factories.ts'
import { callLoader } from '#tests/helpers/routes.ts'

// Rotating SESSION_SECRET: the new secret first, the old one after a comma until what it signed
// has aged out. Everything signed under the old one keeps working meanwhile.

const fake = withFakeSendGrid()

const OLD = 'old-secret-that-is-long-enough-0123456789'
const NEW = 'new-secret-that-is-long-enough-9876543210'

const store = globalThis as unknown as {
  __switchboardEnv?: AppEnv
  __switchboardSessionStorage?: unknown
  __switchboardSignedSessionIds?: Map<string, string>
}

/** This process's configuration from now on with SESSION_SECRET set so (as after a restart). */
function runWithSecret(value: string) {
  store.__switchboardEnv = parseEnv({ ...process.env, SESSION_SECRET: value })
  store.__switchboardSessionStorage = undefined
  store.__switchboardSignedSessionIds = undefined
}

afterEach(() => runWithSecret(process.env.SESSION_SECRET!))

const cookieOf = (setCookie: string) => setCookie.split(';')[0]

/** Sends the reply's queued email through the fake SendGrid; the token of the link it carried. */
async function sendAndReadLink(messageId: string) {
  const [email] = await getDb().select().from(emails).where(eq(emails.messageId, messageId))
  fake.reset()
  expect((await deliverEmail(email.id, email.jobId!)).outcome).toBe('sent')
  const text = fake.accepted[0].content.find((c) => c.type === 'text/plain')!.value
  const token = /\/support\/t\/([\w-]+)/.exec(text)?.[1]
  expect(token).toBeDefined()
  return token!
}

const openLink = (token: string) => callLoader(linkRoute, `/support/t/${token}`, { params: { token } })

describe('SESSION_SECRET with an older secret after a comma', () => {
  it('keeps sessions signed with the older secret signed in, and signs new cookies with the first', async () => {
    const user = await createUser()
    runWithSecret(OLD)
    const before = await createSession(user.id, new Request('http://localhost/'), NO_SOCKETS)
    runWithSecret(`${NEW},${OLD}`)
    expect(await sessionIdOf(cookieOf(before.setCookie))).toBe(before.id)
    const after = await createSession(user.id, new Request('http://localhost/'), NO_SOCKETS)
    // Once the old secret is dropped, only cookies signed with the new one are accepted.
    runWithSecret(NEW)
    expect(await sessionIdOf(cookieOf(after.setCookie))).toBe(after.id)
    expect(await sessionIdOf(cookieOf(before.setCookie))).toBeNull()
  })

  it('keeps the unsubscribe links of emails sent before the rotation working', async () => {
    const user = await createUser()
    runWithSecret(OLD)
    const token = unsubscribeToken(user.id, 'assigned')
    runWithSecret(`${NEW},${OLD}`)
    expect(readUnsubscribeToken(token)).toEqual({ userId: user.id, kind: 'assigned' })
    expect(readUnsubscribeToken(unsubscribeToken(user.id, 'assigned'))).toEqual({
      userId: user.id,
      kind: 'assigned',
    })
    runWithSecret(NEW)
    expect(readUnsubscribeToken(token)).toBeUndefined()
  })

  it('sends an email queued before the rotation with the link its row was made for', async () => {
    const member = await createMember()
    const ticket = await createTicketFor(member, { customerEmail: 'casey@example.net' })
    runWithSecret(OLD)
    const before = await replyToTicket(asMember(member), ticket.number, { kind: 'reply', body: 'Shipped.' })
    if (before.kind !== 'sent') throw new Error(before.kind)

    // Restarted with the new secret first: the queued email goes out now, and its link opens.
    runWithSecret(`${NEW},${OLD}`)
    expect((await openLink(await sendAndReadLink(before.messageId))).status).toBe(200)
    // A reply queued after the rotation is made and sent with the new secret alone.
    const after = await replyToTicket(asMember(member), ticket.number, { kind: 'reply', body: 'Delivered.' })
    if (after.kind !== 'sent') throw new Error(after.kind)
    const token = await sendAndReadLink(after.messageId)
    runWithSecret(NEW)
    expect((await openLink(token)).status).toBe(200)
  })

  it('refuses a list with a secret under 32 characters, naming the rule', () => {
    expect(() => parseEnv({ ...process.env, SESSION_SECRET: `${NEW},short` })).toThrow(
      /SESSION_SECRET must be at least 32 characters \(each secret/,
    )
    expect(parseEnv({ ...process.env, SESSION_SECRET: ` ${NEW} , ${OLD} ` }).sessionSecrets).toEqual([
      NEW,
      OLD,
    ])
  })
})
