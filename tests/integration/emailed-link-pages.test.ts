import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { emails } from '#db/schema.ts'
import { queueVerificationEmail, sendPasswordResetEmail } from '#app/domain/account-emails.server.ts'
import { withEmailLink } from '#app/domain/email-link.server.ts'
import { unsubscribeToken } from '#app/domain/notification-emails.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { createUser, signIn } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// A link from an email (confirm an address, reset a password, unsubscribe) acts for the account
// it was sent for, which need not be the one signed in in the browser that opens it: the page
// names that account's address and never says "your account" (it read as the signed-in one's).

let server: Awaited<ReturnType<typeof startTestServer>>
beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
  server = await startTestServer({ sockets: false })
})
afterAll(() => server.close())

/** The page's text as a browser gets it (GET, or a post without JavaScript), tags and React's separators removed. */
async function pageText(path: string, cookie?: string, post = false) {
  const response = await fetch(server.url + path, {
    method: post ? 'POST' : 'GET',
    headers: {
      ...(cookie ? { cookie } : {}),
      ...(post ? { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: post ? '' : undefined,
  })
  const html = await response.text()
  const body = html.slice(html.indexOf('<body'), html.indexOf('<script'))
  return body
    .replaceAll('<!-- -->', '')
    .replace(/<\/?(strong|a)\b[^>]*>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
}

/** The token of the latest `kind` email to `address`, as sent. */
async function sentToken(kind: 'verify-email' | 'password-reset', address: string) {
  const rows = await getDb()
    .select({ text: emails.text, linkId: emails.linkId })
    .from(emails)
    .where(and(eq(emails.kind, kind), eq(emails.toAddress, address)))
  const text = withEmailLink(rows.at(-1)!.text, rows.at(-1)!.linkId)
  const path = kind === 'verify-email' ? 'verify-email' : 'reset-password'
  return new RegExp(`/${path}/([A-Za-z0-9_-]+)`).exec(text)![1]
}

async function twoAccounts() {
  const linked = await createUser({ email: `linked-${crypto.randomUUID().slice(0, 8)}@example.com` })
  const other = await createUser({ email: `other-${crypto.randomUUID().slice(0, 8)}@example.com` })
  const { cookie } = await signIn(other.id)
  return { linked, other, cookie }
}

describe('pages opened from an emailed link while another account is signed in', () => {
  it('the confirmation page names the address confirmed and says the signed-in account does not change', async () => {
    const { linked, other, cookie } = await twoAccounts()
    await getDb().transaction((tx) => queueVerificationEmail(tx, linked))
    const path = `/verify-email/${await sentToken('verify-email', linked.email)}`

    const asked = await pageText(path, cookie)
    expect(asked).toContain(`Confirm ${linked.email} as the email address of the Switchboard account`)
    expect(asked).toContain(`You are signed in as ${other.email}: that account does not change.`)
    expect(asked).not.toMatch(/your (email|account)/i)

    const done = await pageText(path, cookie, true)
    expect(done).toContain(`${linked.email} is confirmed`)
    expect(done).not.toMatch(/your (email|account)/i)

    // Signed in as the link's own account: no note about another one.
    const own = await signIn(linked.id)
    expect(await pageText(path, own.cookie)).not.toContain('You are signed in as')
  })

  it('a link that does not work blames no account of the reader', async () => {
    const { cookie } = await twoAccounts()
    const text = await pageText(`/verify-email/${'x'.repeat(43)}`, cookie)
    expect(text).toContain('This link does not work')
    expect(text).not.toMatch(/your (email|account)/i)
  })

  it('the reset page names the account whose password it sets, and that saving signs in as it', async () => {
    const { linked, other, cookie } = await twoAccounts()
    await sendPasswordResetEmail(linked.email)
    const path = `/reset-password/${await sentToken('password-reset', linked.email)}`
    const text = await pageText(path, cookie)
    expect(text).toContain(`For the Switchboard account of ${linked.email}.`)
    expect(text).toContain(
      `You are signed in as ${other.email}: saving signs you in as ${linked.email} instead`,
    )
    expect(text).not.toMatch(/your (password|account)/i)
    expect(await pageText(`/reset-password/${'x'.repeat(43)}`, cookie)).not.toMatch(
      /your (password|account)/i,
    )
  })

  it('the unsubscribe page sends to the link\'s account\'s settings, not to "your account page"', async () => {
    const { linked, cookie } = await twoAccounts()
    const text = await pageText(
      `/notifications/unsubscribe/${unsubscribeToken(linked.id, 'mentioned')}`,
      cookie,
    )
    expect(text).toContain(`${linked.email.slice(0, 2)}…@example.com`)
    expect(text).toContain(`account page signed in as ${linked.email.slice(0, 2)}…@example.com`)
    expect(text).not.toMatch(/your account/i)
  })
})
