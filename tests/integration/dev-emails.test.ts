import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { env, type AppEnv } from '#app/env.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { createTicket } from '#app/domain/tickets.server.ts'
import * as emailRoute from '#app/routes/dev.emails.$id.tsx'
import * as listRoute from '#app/routes/dev.emails._index.tsx'
import { createWorkspace } from '#tests/helpers/factories.ts'
import { callLoader } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { getDb } from '#db/client.ts'
import { listMailboxes } from '#db/queries/mailboxes.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

const store = globalThis as unknown as { __switchboardEnv?: AppEnv }
let saved: AppEnv | undefined

/** Runs the rest of the test as the production profile; afterEach restores the cached env. */
function useProductionProfile() {
  saved = env()
  store.__switchboardEnv = { ...saved, appEnv: 'production', isProduction: true }
}

afterEach(() => {
  if (saved) store.__switchboardEnv = saved
  saved = undefined
})

async function confirmationEmail(subject: string) {
  const workspace = await createWorkspace()
  const [mailbox] = await listMailboxes(getDb(), { workspaceId: workspace.id })
  const outcome = await createTicket(
    { workspaceId: workspace.id, userId: null },
    {
      mailboxId: mailbox.id,
      customerEmail: 'reader@example.net',
      customerName: 'Robin <b>Reader</b>',
      subject,
      body: 'Hello',
      channel: 'web',
      sendConfirmation: true,
    },
  )
  if (outcome.kind !== 'created') throw new Error('not created')
  return outcome
}

describe('/dev/emails', () => {
  it('lists every email newest first in the local profile', async () => {
    await confirmationEmail('First question')
    await confirmationEmail('Second question')
    const result = await callLoader(listRoute, '/dev/emails')
    expect(result.status).toBe(200)
    const subjects = result.data.emails.map((e: { subject: string }) => e.subject)
    expect(subjects.slice(0, 2)).toEqual([
      'We received your request: Second question [#1]',
      'We received your request: First question [#1]',
    ])
    expect(result.data.emails[0]).toMatchObject({
      toAddress: 'reader@example.net',
      kind: 'ticket-confirmation',
      status: expect.stringMatching(/queued|sent/),
    })
  })

  it('shows one email with its headers, text and HTML', async () => {
    const outcome = await confirmationEmail('Show me')
    const list = await callLoader(listRoute, '/dev/emails')
    const id = list.data.emails[0].id
    const result = await callLoader(emailRoute, `/dev/emails/${id}`, { params: { id } })
    expect(result.status).toBe(200)
    expect(result.data.email.text).toContain(outcome.customerLink)
    expect(result.data.email.html).toContain('Robin &lt;b&gt;Reader&lt;/b&gt;')
    expect(result.data.email.headers['Auto-Submitted']).toBe('auto-replied')
  })

  it('is a 404 for an unknown or malformed id', async () => {
    for (const id of ['00000000-0000-0000-0000-000000000000', 'nope', "1' or '1'='1"]) {
      const result = await callLoader(emailRoute, `/dev/emails/${id}`, { params: { id } })
      expect(result.status).toBe(404)
    }
  })

  it('does not exist in the production profile', async () => {
    await confirmationEmail('Hidden in production')
    const list = await callLoader(listRoute, '/dev/emails')
    const id = list.data.emails[0].id
    useProductionProfile()
    expect((await callLoader(listRoute, '/dev/emails')).status).toBe(404)
    expect((await callLoader(emailRoute, `/dev/emails/${id}`, { params: { id } })).status).toBe(404)
  })
})
