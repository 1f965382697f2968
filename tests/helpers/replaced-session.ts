import { eq } from 'drizzle-orm'
import { expect } from 'vitest'
import { getDb } from '#db/client.ts'
import { sessions } from '#db/schema.ts'
import { countSessions } from '#app/domain/sessions.server.ts'
import { readSession } from '#app/http/auth.server.ts'
import { createUser, signIn } from './factories.ts'
import { testContext, type RealtimeCalls } from './routes.ts'

/**
 * A browser where someone is signed in (the account `user`, or a new one): the cookie a sign-in
 * form posted from it carries, a context that records the sockets disconnected, and the check
 * that the session that cookie named was ended when a sign-in replaced it, while the account's
 * session in another browser stayed.
 */
export async function browserSignedIn(user?: { id: string }) {
  const account = user ?? (await createUser())
  const elsewhere = await signIn(account.id)
  const here = await signIn(account.id)
  const calls: RealtimeCalls = { disconnected: [], removed: [] }
  return {
    cookie: here.cookie,
    context: testContext(calls),
    async expectReplacedSessionEnded(newCookie: string | undefined) {
      expect(newCookie).toMatch(/^__sb_session=/)
      expect(newCookie).not.toBe(here.cookie)
      const live = await getDb()
        .select({ id: sessions.id })
        .from(sessions)
        .where(eq(sessions.userId, account.id))
      expect(live.map((row) => row.id)).not.toContain(here.sessionId)
      expect(live.map((row) => row.id)).toContain(elsewhere.sessionId)
      // The account page's "active sessions" count no longer counts it…
      expect(await countSessions(account.id)).toBe(live.length)
      // …the old cookie signs nobody in, and its sockets were disconnected.
      expect(await readSession(here.cookie)).toBeNull()
      expect(calls.disconnected).toContain(here.sessionId)
    },
  }
}
