import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { getDb } from '#db/client.ts'
import { webhookEndpoints } from '#db/schema.ts'
import { createWebhookEndpoint, updateWebhookEndpoint } from '#app/domain/webhooks.server.ts'
import { startQueue, queue } from '#app/jobs/queue.server.ts'
import { asMember, createMember } from '#tests/helpers/factories.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Found from outside: after …/dup existed, …/dup#, …/dup#again, …/dup? and …/%64up were all
// accepted (201), and the receiver got each event several times.

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})
afterAll(async () => {
  await queue().stop({ graceful: false, timeout: 1000 })
})

const input = (url: string) => ({
  url,
  description: '',
  events: ['ticket.created' as const],
  includeNotes: false,
})

describe('one receiver, one endpoint, however its URL is spelled', () => {
  it('refuses a fragment and finds the existing endpoint behind an empty query or an encoded letter', async () => {
    const member = asMember(await createMember('owner'))
    const first = await createWebhookEndpoint(member, input('https://hooks.example.com/dup'))
    expect(first.kind).toBe('ok')
    for (const url of ['https://hooks.example.com/dup#', 'https://hooks.example.com/dup#again']) {
      expect(await createWebhookEndpoint(member, input(url)), url).toMatchObject({ kind: 'invalid-url' })
    }
    for (const url of ['https://hooks.example.com/dup?', 'https://hooks.example.com/%64up']) {
      expect(await createWebhookEndpoint(member, input(url)), url).toMatchObject({
        kind: 'url-taken',
        id: first.kind === 'ok' ? first.id : '',
      })
    }
    const other = await createWebhookEndpoint(member, input('https://hooks.example.com/other'))
    if (other.kind !== 'ok') throw new Error('not created')
    expect(
      await updateWebhookEndpoint(member, other.id, { url: 'https://hooks.example.com/%64up' }),
    ).toMatchObject({ kind: 'url-taken' })
    expect(
      await updateWebhookEndpoint(member, other.id, { url: 'https://hooks.example.com/x#y' }),
    ).toMatchObject({
      kind: 'invalid-url',
    })
    const stored = await getDb()
      .select({ url: webhookEndpoints.url })
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.workspaceId, member.workspaceId))
    expect(stored.map((r) => r.url).sort()).toEqual([
      'https://hooks.example.com/dup',
      'https://hooks.example.com/other',
    ])
  })
})
