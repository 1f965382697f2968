import { eq } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { sessions } from '#db/schema.ts'
import { createMember, createWorkspace, addMember } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { closeSockets, handshakeOutcome as outcome, openSocket } from '#tests/helpers/sockets.ts'

let server: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  server = await startTestServer()
})
afterEach(closeSockets)
afterAll(async () => {
  await server.close()
})

const connect = (headers: Record<string, string> = {}) => openSocket(server.url, headers)

describe('socket handshake', () => {
  it('refuses a socket without a session cookie', async () => {
    expect(await outcome(connect())).toEqual({ ok: false, error: 'Not signed in' })
  })

  it('refuses a forged cookie', async () => {
    const forged = `__sb_session=${Buffer.from(JSON.stringify({ sid: 'guess' })).toString('base64')}.bad-signature`
    expect(await outcome(connect({ cookie: forged }))).toEqual({ ok: false, error: 'Not signed in' })
  })

  it('refuses an expired session', async () => {
    const member = await createMember('agent')
    await getDb()
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(sessions.id, member.sessionId))
    expect(await outcome(connect({ cookie: member.cookie }))).toEqual({ ok: false, error: 'Not signed in' })
  })

  it('refuses a handshake from another origin even with a valid cookie', async () => {
    const member = await createMember('agent')
    const result = await outcome(connect({ cookie: member.cookie, origin: 'https://evil.example' }))
    expect(result.ok).toBe(false)
  })

  it('accepts a valid session and joins only the rooms of its own workspaces', async () => {
    const member = await createMember('agent')
    const second = await createWorkspace()
    await addMember(second.id, member.user.id, 'admin')
    await createWorkspace({ slug: 'not-mine' })
    const result = await outcome(connect({ cookie: member.cookie }))
    expect(result.ok).toBe(true)
    if (result.ok) expect(result.workspaces.sort()).toEqual([member.workspace.slug, second.slug].sort())
  })

  it('disconnects the sockets of sessions revoked by "sign out of all other devices"', async () => {
    const member = await createMember('agent')
    const socket = connect({ cookie: member.cookie })
    expect((await outcome(socket)).ok).toBe(true)
    const { signIn } = await import('#tests/helpers/factories.ts')
    const other = await signIn(member.user.id)
    const disconnected = new Promise<string>((resolve) =>
      socket.on('disconnect', (reason) => resolve(reason)),
    )
    // The account page lives in the workspace shell (/account redirects there).
    const response = await fetch(`${server.url}/w/${member.workspace.slug}/account`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: other.cookie,
        origin: server.url,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ intent: 'sign-out-others' }),
    })
    expect(response.status).toBe(200)
    expect(await disconnected).toBe('io server disconnect')
  })
})
