import { randomUUID } from 'node:crypto'
import { and, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import {
  aiRuns,
  drafts,
  emails,
  messageTranslations,
  messages,
  tags,
  ticketSummaries,
  ticketTags,
  ticketTriage,
  tickets,
  users,
} from '#db/schema.ts'
import { aiDailyKey, aiTriageKeys } from '#app/ai/client.server.ts'
import { AI_INTERACTIVE_PER_DAY, AI_MESSAGES } from '#app/ai/features.ts'
import { triageTicket } from '#app/ai/triage.server.ts'
import { AI_RUN_LEASE_SECONDS, CLICK_WAIT_MS } from '#app/ai/run-claims.server.ts'
import { takeRateLimitSlot } from '#db/queries/rate-limits.ts'
import { aiRunHeld, claimAiRun, releaseAiRun } from '#db/queries/ai-run-claims.ts'
import { until, waitFor } from '#tests/helpers/wait.ts'
import { holdTransaction, lockWaiters } from '#tests/helpers/held-transaction.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { closeSockets, connectSocket, nextEvent } from '#tests/helpers/sockets.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { FakeOpenAI, type ChatRequest } from '#tests/fakes/openai.ts'
import { memberWithTriage, setProvider, withFakeOpenAI } from '#tests/helpers/ai.ts'

/**
 * Triage chips, summaries and translations over HTTP: the production build on a real Express
 * server, the fake provider through OPENAI_BASE_URL.
 */

const fake = withFakeOpenAI()
let server: Awaited<ReturnType<typeof startTestServer>>
type Agent = Awaited<ReturnType<typeof createMember>>

const configured = () => setProvider({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-insights' })

let triageAnswer: Record<string, unknown> = {}
let translation = 'TRANSLATED: my kettle has not arrived'
function respond(request: ChatRequest) {
  const system = request.messages[0]?.content ?? ''
  if (system.includes('You triage')) return { content: JSON.stringify(triageAnswer) }
  if (system.includes('You summarize')) {
    return {
      content: JSON.stringify({
        bullets: [
          { kind: 'issue', text: 'Kettle not delivered' },
          { kind: 'tried', text: 'Agent checked the tracking' },
          { kind: 'pending', text: `Waiting for the courier (${request.messages[1]!.content.length})` },
        ],
      }),
    }
  }
  if (system.includes("translate a support agent's reply"))
    return { content: '{"text":"RESPUESTA: su hervidor sale hoy"}' }
  return { content: JSON.stringify({ text: translation }) }
}

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
  server = await startTestServer()
})
afterAll(async () => {
  await server.close()
})
beforeEach(() => {
  fake.respond = respond
  translation = 'TRANSLATED: my kettle has not arrived'
  configured()
})

/** An owner whose workspace has triage on and the tags Billing and Shipping. */
const workspace = (options: { budget?: number } = {}) => memberWithTriage(['Billing', 'Shipping'], options)

/** A ticket written in Spanish, triaged (language es, a priority and a tag suggested). */
async function spanishTicket(agent: Agent) {
  const ticket = await createTicketFor(agent, { subject: 'Hervidor', body: 'Mi hervidor no ha llegado.' })
  triageAnswer = {
    priority: 'high',
    tags: ['Shipping'],
    language: 'es',
    sentiment: 'negative',
    gist: 'Kettle <img src=x onerror=alert(1)> not delivered',
  }
  await triageTicket(agent.workspace.id, ticket.ticketId)
  fake.requests.length = 0
  return ticket
}

/** What a rate limit counted for `key`, all windows together. */
const hits = async (key: string) =>
  (
    await getDb().execute<{ hits: number }>(
      sql`select coalesce(sum(hits), 0)::int as hits from rate_limit_counters where key = ${key}`,
    )
  ).rows[0]!.hits

const ticketPath = (agent: Agent, number: number) => `/w/${agent.workspace.slug}/tickets/${number}`

function getPage(agent: Agent, path: string) {
  return fetch(`${server.url}${path}`, {
    headers: { cookie: agent.cookie, 'accept-language': 'en-GB,en;q=0.8' },
    redirect: 'manual',
  })
}

function post(agent: Agent, path: string, form: Record<string, string>) {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: {
      cookie: agent.cookie,
      origin: server.url,
      'accept-language': 'en-GB,en;q=0.8',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  })
}

async function addMessages(
  ticketId: string,
  workspaceId: string,
  count: number,
  authorUserId: string | null = null,
) {
  for (let i = 0; i < count; i++) {
    await getDb()
      .insert(messages)
      .values({ workspaceId, ticketId, kind: 'reply', bodyText: `Message ${i}`, authorUserId })
  }
}

async function firstMessageId(ticketId: string) {
  const [row] = await getDb()
    .select({ id: messages.id })
    .from(messages)
    .where(eq(messages.ticketId, ticketId))
  return row!.id
}

describe('Translate', () => {
  it('translates a customer message once, shows it under the original, and the second click calls nobody', async () => {
    const agent = await workspace()
    const ticket = await spanishTicket(agent)
    const messageId = await firstMessageId(ticket.ticketId)
    const before = await (await getPage(agent, ticketPath(agent, ticket.number))).text()
    expect(before).toContain('Translate from Spanish')
    expect(before).toContain('Translate to Spanish')

    const first = await post(agent, `${ticketPath(agent, ticket.number)}/ai/translate`, { messageId })
    expect(first.status).toBe(302)
    expect(first.headers.get('location')).toBe(`${ticketPath(agent, ticket.number)}#m-${messageId}`)
    expect(fake.requests).toHaveLength(1)
    const prompt = FakeOpenAI.promptText(fake.requests[0]!)
    expect(prompt).toContain('Mi hervidor no ha llegado.')
    expect(prompt).toContain('into English')

    const second = await post(agent, `${ticketPath(agent, ticket.number)}/ai/translate`, { messageId })
    expect(second.status).toBe(302)
    expect(fake.requests).toHaveLength(1) // cached
    const rows = await getDb()
      .select()
      .from(messageTranslations)
      .where(eq(messageTranslations.messageId, messageId))
    expect(rows).toMatchObject([{ language: 'en', text: 'TRANSLATED: my kettle has not arrived' }])

    const after = await (await getPage(agent, ticketPath(agent, ticket.number))).text()
    expect(after).toContain('TRANSLATED: my kettle has not arrived')
    expect(after).toContain('Translated by AI from Spanish into English')
  })

  it('renders the model’s text escaped, never as HTML', async () => {
    const agent = await workspace()
    const ticket = await spanishTicket(agent)
    translation = '<img src=x onerror=alert(1)> ![x](https://evil.example/?q=1)'
    await post(agent, `${ticketPath(agent, ticket.number)}/ai/translate`, {
      messageId: await firstMessageId(ticket.ticketId),
    })
    const html = await (await getPage(agent, ticketPath(agent, ticket.number))).text()
    expect(html).not.toContain('<img src=x')
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    // The gist, in the sidebar and in the queue, is text too.
    expect(html).toContain('Kettle &lt;img src=x onerror=alert(1)&gt; not delivered')
    const queue = await (await getPage(agent, `/w/${agent.workspace.slug}/tickets?view=all`)).text()
    expect(queue).toContain('Kettle &lt;img src=x onerror=alert(1)&gt; not delivered')
  })

  /** The ticket's messages, oldest first, and the emails queued for it. */
  async function sentSoFar(ticketId: string) {
    const thread = await getDb()
      .select({ kind: messages.kind, bodyText: messages.bodyText })
      .from(messages)
      .where(eq(messages.ticketId, ticketId))
      .orderBy(messages.createdAt, messages.id)
    const queued = await getDb()
      .select({ text: emails.text })
      .from(emails)
      .where(eq(emails.ticketId, ticketId))
    return { thread, emails: queued }
  }

  /** The agent's draft of the ticket as stored. */
  async function draftOf(agent: Agent, ticketId: string) {
    const [row] = await getDb()
      .select({ body: drafts.body, kind: drafts.kind, translation: drafts.translation })
      .from(drafts)
      .where(and(eq(drafts.ticketId, ticketId), eq(drafts.userId, agent.user.id)))
    return row
  }

  it('“Translate to Spanish” puts the translation in the composer to review and sends nothing; the agent’s Send sends it and keeps the original as a note', async () => {
    const agent = await workspace()
    // The longest undo window: the Undo below comes well within it on a busy machine.
    await getDb().update(users).set({ undoSendSeconds: 30 }).where(eq(users.id, agent.user.id))
    const ticket = await spanishTicket(agent)
    const path = ticketPath(agent, ticket.number)
    const lastSeen = await firstMessageId(ticket.ticketId)
    const page = await (await getPage(agent, path)).text()
    expect(page).toContain('Translate to Spanish')
    expect(page).not.toContain('Send reply in Spanish')

    // Without JavaScript the composer's form posts here (its other fields come along).
    const response = await post(agent, `${path}/ai/translated-reply`, {
      body: 'Your kettle ships today.',
      replyLanguage: 'es',
      kind: 'reply',
      lastSeenMessageId: lastSeen,
      status: 'resolved',
    })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(`${path}#composer`)
    expect(fake.requests).toHaveLength(1)
    expect(FakeOpenAI.promptText(fake.requests[0]!)).toContain('into Spanish')
    // Nothing was sent: no reply, no note, no email; the translation is the agent's draft.
    expect(await sentSoFar(ticket.ticketId)).toEqual({
      thread: [{ kind: 'reply', bodyText: 'Mi hervidor no ha llegado.' }],
      emails: [],
    })
    expect(await draftOf(agent, ticket.ticketId)).toEqual({
      body: 'RESPUESTA: su hervidor sale hoy',
      kind: 'reply',
      translation: {
        language: 'es',
        original: 'Your kettle ships today.',
        text: 'RESPUESTA: su hervidor sale hoy',
      },
    })
    const [ticketRow] = await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId))
    expect(ticketRow!.status).not.toBe('resolved')

    // The composer shows it, says it is a translation to review, and keeps the original.
    const review = await (await getPage(agent, path)).text()
    expect(review).toMatch(/<textarea[^>]*>RESPUESTA: su hervidor sale hoy<\/textarea>/)
    expect(review).toContain('This reply is an AI translation into Spanish: review it before you send.')
    expect(review).toContain('Your kettle ships today.')
    expect(review).toContain('name="translatedFrom" value="Your kettle ships today."')
    expect(review).toContain('name="translationText" value="RESPUESTA: su hervidor sale hoy"')

    // The agent edits it and sends it with the composer's Send: the reply path, original as a note.
    const send = () =>
      post(agent, path, {
        intent: 'reply',
        kind: 'reply',
        body: 'RESPUESTA: su hervidor sale hoy. Saludos',
        lastSeenMessageId: lastSeen,
        translatedFrom: 'Your kettle ships today.',
        translationLanguage: 'es',
        translationText: 'RESPUESTA: su hervidor sale hoy',
      })
    const sent = await send()
    expect(sent.status).toBe(302)
    expect(sent.headers.get('location')).toMatch(/#m-/)
    const after = await sentSoFar(ticket.ticketId)
    expect(after.thread.slice(1)).toEqual([
      { kind: 'reply', bodyText: 'RESPUESTA: su hervidor sale hoy. Saludos' },
      {
        kind: 'note',
        bodyText: expect.stringMatching(
          /^Reply sent in Spanish, translated by AI and reviewed by .*original:\n\nYour kettle ships today\.$/,
        ) as string,
      },
    ])
    expect(after.emails).toEqual([
      { text: expect.stringContaining('RESPUESTA: su hervidor sale hoy. Saludos') as string },
    ])
    expect(after.emails[0]!.text).not.toContain('Your kettle ships today.')
    expect(fake.requests).toHaveLength(1)
    // The draft went with the send, its original too.
    expect(await draftOf(agent, ticket.ticketId)).toMatchObject({ body: '', translation: null })

    // Undo send (the page's form, without JavaScript) takes the note back with the reply, and the
    // page shows the translation to review again, the original with it.
    const messageId = sent.headers.get('location')!.split('#m-')[1]!
    const undone = await post(agent, path, { intent: 'undo-send', messageId })
    expect(undone.status).toBe(302)
    expect((await sentSoFar(ticket.ticketId)).thread).toEqual([
      { kind: 'reply', bodyText: 'Mi hervidor no ha llegado.' },
    ])
    const back = await (await getPage(agent, path)).text()
    expect(back).toMatch(/<textarea[^>]*>RESPUESTA: su hervidor sale hoy. Saludos<\/textarea>/)
    expect(back).toContain('This reply is an AI translation into Spanish: review it before you send.')
    expect(back).toContain('name="translatedFrom" value="Your kettle ships today."')
    // Sent again: one reply, one note.
    const resent = await send()
    expect(resent.status).toBe(302)
    expect((await sentSoFar(ticket.ticketId)).thread.map((m) => m.kind)).toEqual(['reply', 'reply', 'note'])
    expect(fake.requests).toHaveLength(1)
  })

  /** A Spanish ticket and the composer's "Translate to Spanish" post for it. */
  async function translateToSpanish() {
    const agent = await workspace()
    const ticket = await spanishTicket(agent)
    const form = {
      body: 'Your kettle ships today.',
      replyLanguage: 'es',
      lastSeenMessageId: await firstMessageId(ticket.ticketId),
    }
    return { agent, ticket, form, path: `${ticketPath(agent, ticket.number)}/ai/translated-reply` }
  }

  it('a second submit of the same text makes no model call and lands on the same translation', async () => {
    const { agent, ticket, form, path } = await translateToSpanish()
    const first = await post(agent, path, form)
    expect(first.headers.get('location')).toMatch(/#composer$/)
    // The browser posts the form again (a double click without JavaScript).
    const again = await post(agent, path, form)
    expect(again.headers.get('location')).toMatch(/#composer$/)
    expect(fake.requests).toHaveLength(1)
    expect(await hits(aiDailyKey(agent.user.id))).toBe(1)
    expect((await draftOf(agent, ticket.ticketId))?.translation).toEqual({
      language: 'es',
      original: 'Your kettle ships today.',
      text: 'RESPUESTA: su hervidor sale hoy',
    })
    expect(await sentSoFar(ticket.ticketId)).toMatchObject({ emails: [] })
  })

  it('two submits of the same text at once make one model call', async () => {
    const { agent, ticket, form, path } = await translateToSpanish()
    // A reply holds the ticket: the first submit, translated, waits for it to save the draft.
    const held = await holdTransaction((tx) =>
      tx.execute(sql`select 1 from tickets where id = ${ticket.ticketId}::uuid for update`),
    )
    const first = post(agent, path, form)
    await lockWaiters(1, held)
    expect(fake.requests).toHaveLength(1)
    const second = post(agent, path, form)
    // Without a claim the second would have asked the model by now.
    await until(
      () => fake.requests.length,
      (n) => n > 1,
      1_500,
    ).catch(() => undefined)
    await held.commit()
    const answers = await Promise.all([first, second])
    expect(answers.map((a) => a.headers.get('location'))).toEqual([
      expect.stringMatching(/#composer$/),
      expect.stringMatching(/#composer$/),
    ])
    expect(fake.requests).toHaveLength(1)
    expect(await hits(aiDailyKey(agent.user.id))).toBe(1)
    expect(await sentSoFar(ticket.ticketId)).toMatchObject({ emails: [] })
  })

  it('a reply the agent wrote anew in place of the translation is no longer marked: its draft drops the original, its send writes no note, and Translate translates it', async () => {
    const { agent, ticket, form } = await translateToSpanish()
    const path = ticketPath(agent, ticket.number)
    const mark = {
      translatedFrom: form.body,
      translationLanguage: 'es',
      translationText: 'RESPUESTA: su hervidor sale hoy',
    }
    const save = (fields: Record<string, string>) =>
      post(agent, `${path}/draft`, { kind: 'reply', generation: '0', ...fields })
    const marked = () => draftOf(agent, ticket.ticketId).then((d) => d?.translation ?? null)
    const written = 'Unrelated new English reply, written from scratch.'

    // Found by a tester: select all, delete, type a new reply; each autosave still carried the
    // mark, stored with the new text. A page without JavaScript posts its hidden fields the same.
    expect((await save({ body: 'RESPUESTA: su hervidor sale hoy. Saludos', ...mark })).status).toBe(204)
    expect(await marked()).toMatchObject({ original: form.body })
    expect((await save({ body: written, ...mark })).status).toBe(204)
    expect(await draftOf(agent, ticket.ticketId)).toMatchObject({ body: written, translation: null })
    // Emptied (a draft saved empty), then written anew: no mark either.
    expect((await save({ body: 'RESPUESTA: su hervidor sale hoy', ...mark })).status).toBe(204)
    expect(await marked()).not.toBeNull()
    expect((await save({ body: '', ...mark })).status).toBe(204)
    expect((await save({ body: 'Hello', ...mark })).status).toBe(204)
    expect(await marked()).toBeNull()
    // The page shows no review line for it.
    const page = await (await getPage(agent, path)).text()
    expect(page).not.toContain('This reply is an AI translation')

    // Translate is not refused ("already translated"): the new text is the agent's own, translated.
    const asked = fake.requests.length
    const again = await fetch(`${server.url}${path}/ai/translated-reply`, {
      method: 'POST',
      headers: { cookie: agent.cookie, origin: server.url, accept: 'application/json' },
      body: new URLSearchParams({ body: written, replyLanguage: 'es', ...mark }),
    })
    expect(again.status).toBe(200)
    expect(await again.json()).toMatchObject({ original: written })
    expect(fake.requests).toHaveLength(asked + 1)
    expect(FakeOpenAI.promptText(fake.requests[asked]!)).toContain(written)

    // Sent with the stale mark (the composer's hidden fields): the reply, and no note saying it
    // was translated by AI from words it is not.
    const sent = await post(agent, path, {
      intent: 'reply',
      kind: 'reply',
      body: written,
      lastSeenMessageId: form.lastSeenMessageId,
      ...mark,
    })
    expect(sent.status).toBe(302)
    expect((await sentSoFar(ticket.ticketId)).thread.slice(1)).toEqual([{ kind: 'reply', bodyText: written }])
  })

  it('with JavaScript answers the translation as JSON and leaves the draft to the composer’s autosave, which carries the original; a save after Restore original drops it', async () => {
    const { agent, ticket, form } = await translateToSpanish()
    const path = ticketPath(agent, ticket.number)
    const asJson = (body: Record<string, string>) =>
      fetch(`${server.url}${path}/ai/translated-reply`, {
        method: 'POST',
        headers: { cookie: agent.cookie, origin: server.url, accept: 'application/json' },
        body: new URLSearchParams(body),
      })
    const save = (fields: Record<string, string>) =>
      post(agent, `${path}/draft`, { kind: 'reply', generation: '0', ...fields })
    expect((await save({ body: form.body })).status).toBe(204)
    const response = await asJson({ body: form.body, replyLanguage: 'es' })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      text: 'RESPUESTA: su hervidor sale hoy',
      original: 'Your kettle ships today.',
      language: 'es',
    })
    expect(await sentSoFar(ticket.ticketId)).toMatchObject({ emails: [] })
    // The composer saves what it shows; the route wrote nothing (a save of it raced the composer's).
    expect(await draftOf(agent, ticket.ticketId)).toMatchObject({ body: form.body, translation: null })
    // Found from outside: an autosave of the English text still on the wire when the translation
    // was saved landed after it and dropped the original, and the next save ("keep what is
    // stored") kept it dropped. Each save now says what the composer shows.
    const translated = {
      translatedFrom: form.body,
      translationLanguage: 'es',
      translationText: 'RESPUESTA: su hervidor sale hoy',
    }
    expect((await save({ body: 'RESPUESTA: su hervidor sale hoy', ...translated })).status).toBe(204)
    expect((await save({ body: form.body })).status).toBe(204)
    expect((await save({ body: 'RESPUESTA editada', ...translated })).status).toBe(204)
    expect(await draftOf(agent, ticket.ticketId)).toMatchObject({
      body: 'RESPUESTA editada',
      translation: { language: 'es', original: 'Your kettle ships today.' },
    })
    // A teammate opening the ticket reads it as a translation, with the original.
    const teammate = await createMember('agent', agent.workspace)
    const theirs = await (await getPage(teammate, path)).text()
    expect(theirs).toContain('(an AI translation into Spanish)')
    expect(theirs).toContain('Test User&#x27;s original')

    // Translate again while it shows the (edited) translation: refused, the model's words are
    // never taken for the agent's original; into another language, their own words are translated.
    const again = await asJson({ body: 'RESPUESTA editada', replyLanguage: 'es', ...translated })
    expect(again.status).toBe(409)
    expect(await again.json()).toMatchObject({ reason: 'already-translated' })
    const plain = await post(agent, `${path}/ai/translated-reply`, {
      body: 'RESPUESTA editada',
      replyLanguage: 'es',
      ...translated,
    })
    expect(plain.headers.get('location')).toContain('ai-error=already-translated')
    expect(fake.requests).toHaveLength(1)
    const french = await asJson({ body: 'RESPUESTA editada', replyLanguage: 'fr', ...translated })
    expect(await french.json()).toMatchObject({ original: 'Your kettle ships today.', language: 'fr' })
    expect(fake.requests).toHaveLength(2)
    expect(FakeOpenAI.promptText(fake.requests[1]!)).toContain('Your kettle ships today.')
    expect(FakeOpenAI.promptText(fake.requests[1]!)).not.toContain('RESPUESTA editada')

    // …and the save after "Restore original" drops it.
    expect((await save({ body: 'Your kettle ships today.' })).status).toBe(204)
    expect(await draftOf(agent, ticket.ticketId)).toMatchObject({ translation: null })

    // Refusals come back as JSON with the reason, nothing sent: too long.
    const long = await asJson({ body: 'x'.repeat(20_001), replyLanguage: 'es' })
    expect(long.status).toBe(400)
    expect(await long.json()).toMatchObject({ error: AI_MESSAGES.replyTooLongToTranslate })
    expect(fake.requests).toHaveLength(2)
  })

  it('is 404 for a member of another workspace', async () => {
    const agent = await workspace()
    const ticket = await spanishTicket(agent)
    const outsider = await createMember('owner')
    const response = await post(outsider, `${ticketPath(agent, ticket.number)}/ai/translate`, {
      messageId: await firstMessageId(ticket.ticketId),
    })
    expect(response.status).toBe(404)
    expect(fake.requests).toHaveLength(0)
  })
})

describe('Summary', () => {
  it('appears past 4 messages, is cached, turns stale with a new message and refreshes on demand', async () => {
    const agent = await workspace()
    const ticket = await createTicketFor(agent)
    await addMessages(ticket.ticketId, agent.workspace.id, 3)
    const path = ticketPath(agent, ticket.number)
    expect(await (await getPage(agent, path)).text()).not.toContain('Refresh summary')
    expect(await (await getPage(agent, path)).text()).not.toContain('>Summarize<')

    await addMessages(ticket.ticketId, agent.workspace.id, 1, agent.user.id)
    expect(await (await getPage(agent, path)).text()).toContain('Summarize')
    expect((await post(agent, `${path}/ai/summary`, {})).status).toBe(302)
    expect(fake.requests).toHaveLength(1)
    expect(FakeOpenAI.promptText(fake.requests[0]!)).toContain('Message 2')
    let html = await (await getPage(agent, path)).text()
    expect(html).toContain('Kettle not delivered')
    expect(html).toContain('Refresh summary')
    expect(html).not.toContain('Stale')
    const [cached] = await getDb()
      .select()
      .from(ticketSummaries)
      .where(eq(ticketSummaries.ticketId, ticket.ticketId))
    expect(cached!.messageCount).toBe(5)

    await addMessages(ticket.ticketId, agent.workspace.id, 1)
    html = await (await getPage(agent, path)).text()
    expect(html).toContain('Stale')
    expect(html).toContain('Kettle not delivered') // the old summary stays readable
    expect(fake.requests).toHaveLength(1) // showing it calls nobody

    await post(agent, `${path}/ai/summary`, {})
    expect(fake.requests).toHaveLength(2)
    html = await (await getPage(agent, path)).text()
    expect(html).not.toContain('Stale')
  })

  it('says “No suggestion right now” when the provider fails, and the page still works', async () => {
    const agent = await workspace()
    const ticket = await createTicketFor(agent)
    await addMessages(ticket.ticketId, agent.workspace.id, 4)
    fake.failNext(
      { kind: 'status', status: 500 },
      { kind: 'status', status: 503 },
      { kind: 'status', status: 502 },
    )
    const path = ticketPath(agent, ticket.number)
    const response = await post(agent, `${path}/ai/summary`, {})
    expect(response.status).toBe(302)
    const location = response.headers.get('location')!
    expect(location).toContain('ai-error=failed')
    const page = await getPage(agent, location)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('No suggestion right now')
    expect(html).toContain('Send reply')
  })
})

describe('A busy provider (429, 503)', () => {
  it('Summarize, Translate and Triage now come back saying so, with the provider’s Retry-After', async () => {
    const agent = await workspace()
    const ticket = await createTicketFor(agent)
    await addMessages(ticket.ticketId, agent.workspace.id, 4)
    const path = ticketPath(agent, ticket.number)
    fake.failNext({ kind: 'status', status: 429, retryAfter: '40' })
    const summary = await post(agent, `${path}/ai/summary`, {})
    expect(summary.headers.get('location')).toBe(
      `${path}?ai-error=provider-busy&ai-for=summary&ai-retry-after=40`,
    )
    const html = await (await getPage(agent, summary.headers.get('location')!)).text()
    expect(html).toContain('The AI provider is busy: try again in 40 seconds.')
    expect(fake.requests).toHaveLength(1)

    const spanish = await spanishTicket(agent)
    const messageId = await firstMessageId(spanish.ticketId)
    const spanishPath = ticketPath(agent, spanish.number)
    // A 503 without Retry-After: backed off and tried three times, then "in a moment".
    fake.failNext(...Array.from({ length: 3 }, () => ({ kind: 'status' as const, status: 503 })))
    const translated = await post(agent, `${spanishPath}/ai/translate`, { messageId })
    const location = translated.headers.get('location')!
    expect(location).toBe(`${spanishPath}?ai-error=provider-busy&ai-for=m-${messageId}#m-${messageId}`)
    expect(await (await getPage(agent, location)).text()).toContain(AI_MESSAGES.providerBusy)
  })

  it('Triage now says so under its button', async () => {
    const agent = await workspace()
    setProvider({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-insights', AI_TRIAGE_PER_HOUR: '1' })
    await triageTicket(agent.workspace.id, (await createTicketFor(agent)).ticketId)
    const ticket = await createTicketFor(agent, { subject: 'Lid' })
    expect(await triageTicket(agent.workspace.id, ticket.ticketId)).toMatchObject({ outcome: 'skipped' })
    configured()
    fake.reset()
    fake.failNext({ kind: 'status', status: 429, retryAfter: '120' })
    const path = ticketPath(agent, ticket.number)
    const refused = await post(agent, `${path}/ai/triage`, { intent: 'run' })
    expect(refused.headers.get('location')).toBe(
      `${path}?ai-error=provider-busy&ai-for=triage&ai-retry-after=120`,
    )
    expect(await (await getPage(agent, refused.headers.get('location')!)).text()).toContain(
      'The AI provider is busy: try again in 2 minutes.',
    )
    expect(fake.requests).toHaveLength(1)
  })

  it('a ticket whose triage job met it says so and offers Triage now, while tried again and after the last try', async () => {
    const agent = await workspace()
    const ticket = await createTicketFor(agent, { subject: 'Busy lid' })
    fake.failNext({ kind: 'status', status: 429, retryAfter: '40' })
    expect(await triageTicket(agent.workspace.id, ticket.ticketId)).toMatchObject({ outcome: 'busy' })
    const path = ticketPath(agent, ticket.number)
    const page = await (await getPage(agent, path)).text()
    expect(page).toContain(AI_MESSAGES.triageBusyRetrying)
    expect(page).toMatch(/<button[^>]*type="submit"[^>]*>Triage now<\/button>/)

    // Its first busy answer 34.5 minutes ago, and the provider still busy for 40 s: given up.
    const late = await createTicketFor(agent, { subject: 'Busy lid again' })
    const since = new Date(Date.now() - 34.5 * 60_000).toISOString()
    expect(
      await triageTicket(agent.workspace.id, late.ticketId, { busy: { since, calls: 1 } }),
    ).toMatchObject({ outcome: 'skipped', reason: 'busy' })
    const latePath = ticketPath(agent, late.number)
    const given = await (await getPage(agent, latePath)).text()
    expect(given).toContain(AI_MESSAGES.triageBusy)
    expect(given).toMatch(/<button[^>]*type="submit"[^>]*>Triage now<\/button>/)
    // The agent's click calls (the agent decides) and triages it.
    const clicked = await post(agent, `${latePath}/ai/triage`, { intent: 'run' })
    expect(clicked.headers.get('location')).toBe(latePath)
    expect(fake.requests).toHaveLength(2)
    expect(await (await getPage(agent, latePath)).text()).not.toContain(AI_MESSAGES.triageBusy)
  })

  it('clicks that waited on a call the provider refused as busy are told it is busy', async () => {
    const owner = await workspace()
    const agents = [owner, ...(await Promise.all([1, 2].map(() => createMember('agent', owner.workspace))))]
    const ticket = await createTicketFor(owner)
    await addMessages(ticket.ticketId, owner.workspace.id, 4)
    const path = ticketPath(owner, ticket.number)
    let answer!: () => void
    const after = new Promise<void>((resolve) => (answer = resolve))
    // The holder's request is answered 429 once every click waits behind its claim.
    fake.failNext({ kind: 'status', status: 429, after })
    const clicks = Promise.all(agents.map((a) => post(a, `${path}/ai/summary`, {})))
    await until(
      () => fake.requests.length,
      (n) => n === 1,
    )
    // As the parallel clicks above: the others arrive behind the claim within this time.
    await new Promise((resolve) => setTimeout(resolve, 400))
    answer()
    const reasons = (await clicks).map((r) =>
      new URL(r.headers.get('location')!, server.url).searchParams.get('ai-error'),
    )
    expect(reasons).toEqual(['provider-busy', 'provider-busy', 'provider-busy'])
    expect(fake.requests).toHaveLength(1)
  })
})

describe('Summary and Translate clicked at once', () => {
  async function fourAgents() {
    const owner = await workspace()
    return [owner, ...(await Promise.all([1, 2, 3].map(() => createMember('agent', owner.workspace))))]
  }

  it('four parallel Summarize clicks make one model call, and every click comes back to its summary', async () => {
    const agents = await fourAgents()
    const ticket = await createTicketFor(agents[0]!)
    await addMessages(ticket.ticketId, agents[0]!.workspace.id, 4)
    const path = ticketPath(agents[0]!, ticket.number)
    // A model slow enough that every click arrives while the first one waits.
    fake.failNext({ kind: 'slow', delayMs: 400 })
    const clicks = await Promise.all(agents.map((a) => post(a, `${path}/ai/summary`, {})))
    expect(fake.requests).toHaveLength(1)
    expect(clicks.map((r) => [r.status, r.headers.get('location')])).toEqual(agents.map(() => [302, path]))
    expect(await getDb().execute(sql`select * from ai_run_claims`)).toHaveProperty('rows', [])
    expect(await (await getPage(agents[3]!, path)).text()).toContain('Kettle not delivered')
  })

  it('four parallel Translate clicks make one model call, and every click comes back to the translation', async () => {
    const agents = await fourAgents()
    const ticket = await spanishTicket(agents[0]!)
    const messageId = await firstMessageId(ticket.ticketId)
    const path = ticketPath(agents[0]!, ticket.number)
    fake.failNext({ kind: 'slow', delayMs: 400 })
    const clicks = await Promise.all(agents.map((a) => post(a, `${path}/ai/translate`, { messageId })))
    expect(fake.requests).toHaveLength(1)
    expect(clicks.map((r) => [r.status, r.headers.get('location')])).toEqual(
      agents.map(() => [302, `${path}#m-${messageId}`]),
    )
    expect(await (await getPage(agents[2]!, path)).text()).toContain('TRANSLATED: my kettle has not arrived')
  })

  it('clicks that waited on a failed call say why it failed, and the next click calls again', async () => {
    const agents = await fourAgents()
    const ticket = await createTicketFor(agents[0]!)
    await addMessages(ticket.ticketId, agents[0]!.workspace.id, 4)
    const path = ticketPath(agents[0]!, ticket.number)
    // A slow answer that is no summary: the call asks once more, then gives up.
    fake.respond = () => ({ content: JSON.stringify({ bullets: [] }) })
    fake.failNext({ kind: 'slow', delayMs: 400 })
    const clicks = await Promise.all(agents.map((a) => post(a, `${path}/ai/summary`, {})))
    expect(fake.requests).toHaveLength(2) // one call: its two tries at a valid answer
    const reasons = clicks.map((r) =>
      new URL(r.headers.get('location')!, server.url).searchParams.get('ai-error'),
    )
    // The holder's own reason, not "failed" ("No suggestion right now") for the clicks behind it.
    expect(reasons).toEqual(['invalid', 'invalid', 'invalid', 'invalid'])
    fake.reset()
    fake.respond = respond
    expect((await post(agents[1]!, `${path}/ai/summary`, {})).headers.get('location')).toBe(path)
    expect(fake.requests).toHaveLength(1)
  })
})

describe('Summarize, Translate and Send in a language behind a claim a dead process left', () => {
  /** A claim on `key` that nobody will release: its process died during the call. */
  async function deadClaim(agent: Agent, key: string) {
    const holder = { workspaceId: agent.workspace.id, key }
    expect(
      await claimAiRun(getDb(), {
        ...holder,
        claim: randomUUID(),
        leaseSeconds: AI_RUN_LEASE_SECONDS.interactive,
      }),
    ).toBe(true)
    return {
      /** Gone, as the cleanup job deletes it (the file's other tests expect no claims left). */
      sweep: () => getDb().execute(sql`delete from ai_run_claims where workspace_id = ${holder.workspaceId}`),
      /** Its lease runs out: the next click takes the claim over. */
      lapse: () =>
        getDb().execute(
          sql`update ai_run_claims set claimed_until = now() - interval '1 second'
              where workspace_id = ${holder.workspaceId} and key = ${holder.key}`,
        ),
    }
  }

  /** The click's answer, and that it came within seconds, not the lease's 60 s. */
  async function answeredWithinSeconds(click: () => Promise<Response>) {
    const started = Date.now()
    const response = await click()
    const took = Date.now() - started
    expect(took).toBeGreaterThanOrEqual(CLICK_WAIT_MS - 50)
    expect(took).toBeLessThan(CLICK_WAIT_MS + 10_000) // a margin for a busy machine
    return response
  }

  afterAll(() => closeSockets())

  it('Summarize answers within seconds that the summary is being written; once the lease lapsed a click summarizes, and the summary reaches teammates live', async () => {
    const agent = await workspace()
    const teammate = await createMember('agent', agent.workspace)
    const ticket = await createTicketFor(agent)
    await addMessages(ticket.ticketId, agent.workspace.id, 4)
    const path = ticketPath(agent, ticket.number)
    const claim = await deadClaim(agent, `summary:${ticket.ticketId}`)
    const click = await answeredWithinSeconds(() => post(agent, `${path}/ai/summary`, {}))
    expect(click.headers.get('location')).toBe(`${path}?ai-error=running&ai-for=summary`)
    expect(fake.requests).toHaveLength(0)
    const page = await (await getPage(agent, click.headers.get('location')!)).text()
    expect(page).toContain(AI_MESSAGES.summaryRunning)

    await claim.lapse()
    const socket = await connectSocket(server.url, teammate.cookie)
    const live = nextEvent<TicketEvent>(socket, 'ticket-event', (e) => e.ticketId === ticket.ticketId)
    expect((await post(agent, `${path}/ai/summary`, {})).headers.get('location')).toBe(path)
    expect(fake.requests).toHaveLength(1)
    expect(await live).toMatchObject({ type: 'ticket.updated', changes: { summary: true } })
    // The notice goes once the summary is there.
    const after = await (await getPage(agent, click.headers.get('location')!)).text()
    expect(after).toContain('Kettle not delivered')
    expect(after).not.toContain(AI_MESSAGES.summaryRunning)
  })

  it('Translate answers within seconds that the message is being translated; the translation reaches teammates live', async () => {
    const agent = await workspace()
    const teammate = await createMember('agent', agent.workspace)
    const ticket = await spanishTicket(agent)
    const messageId = await firstMessageId(ticket.ticketId)
    const path = ticketPath(agent, ticket.number)
    const claim = await deadClaim(agent, `translation:${messageId}:en`)
    const click = await answeredWithinSeconds(() => post(agent, `${path}/ai/translate`, { messageId }))
    expect(click.headers.get('location')).toBe(
      `${path}?ai-error=running&ai-for=m-${messageId}#m-${messageId}`,
    )
    expect(fake.requests).toHaveLength(0)
    const page = await (await getPage(agent, click.headers.get('location')!)).text()
    expect(page).toContain(AI_MESSAGES.translationRunning)

    await claim.lapse()
    const socket = await connectSocket(server.url, teammate.cookie)
    const live = nextEvent<TicketEvent>(socket, 'ticket-event', (e) => e.ticketId === ticket.ticketId)
    expect((await post(agent, `${path}/ai/translate`, { messageId })).headers.get('location')).toBe(
      `${path}#m-${messageId}`,
    )
    expect(await live).toMatchObject({ type: 'ticket.updated', changes: { translation: messageId } })
    expect(await (await getPage(teammate, path)).text()).toContain('TRANSLATED: my kettle has not arrived')
  })

  it('a translation of the reply behind an earlier submit’s dead claim answers within seconds, sending nothing', async () => {
    const agent = await workspace()
    const ticket = await spanishTicket(agent)
    const path = ticketPath(agent, ticket.number)
    const claim = await deadClaim(agent, `reply-translation:${ticket.ticketId}:${agent.user.id}`)
    const form = { body: 'Your kettle ships today.', replyLanguage: 'es' }
    const click = await answeredWithinSeconds(() => post(agent, `${path}/ai/translated-reply`, form))
    expect(click.headers.get('location')).toBe(`${path}?ai-error=running&ai-for=reply`)
    expect(fake.requests).toHaveLength(0)
    const page = await (await getPage(agent, click.headers.get('location')!)).text()
    expect(page).toContain(AI_MESSAGES.replyTranslationRunning.replace(/'/g, '&#x27;'))
    expect(await getDb().select().from(messages).where(eq(messages.ticketId, ticket.ticketId))).toHaveLength(
      1,
    )
    await claim.sweep()
  })
})

describe('Triage on the ticket page', () => {
  it('suggest mode: chips apply the stored suggestion with one click; other values are refused', async () => {
    const agent = await workspace()
    const ticket = await spanishTicket(agent)
    const path = ticketPath(agent, ticket.number)
    const html = await (await getPage(agent, path)).text()
    expect(html).toContain('Set priority: High')
    expect(html).toContain('Add tag: Shipping')

    expect((await post(agent, `${path}/ai/triage`, { intent: 'apply', apply: 'priority' })).status).toBe(302)
    const [row] = await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId))
    expect(row!.priority).toBe('high')

    const [billing] = await getDb()
      .select()
      .from(tags)
      .where(and(eq(tags.workspaceId, agent.workspace.id), eq(tags.name, 'Billing')))
    const refused = await post(agent, `${path}/ai/triage`, {
      intent: 'apply',
      apply: 'tag',
      tagId: billing!.id,
    })
    expect(refused.headers.get('location')).toContain('ai-error=no-suggestion')
    const [shipping] = await getDb()
      .select()
      .from(tags)
      .where(and(eq(tags.workspaceId, agent.workspace.id), eq(tags.name, 'Shipping')))
    await post(agent, `${path}/ai/triage`, { intent: 'apply', apply: 'tag', tagId: shipping!.id })
    const applied = await getDb().select().from(ticketTags).where(eq(ticketTags.ticketId, ticket.ticketId))
    expect(applied.map((t) => t.tagId)).toEqual([shipping!.id])
    const after = await (await getPage(agent, path)).text()
    expect(after).not.toContain('Set priority: High')
    expect(after).not.toContain('Add tag: Shipping')
  })
})

describe('Triage now', () => {
  const capped = (perHour: number) =>
    setProvider({
      OPENAI_BASE_URL: fake.baseUrl,
      OPENAI_API_KEY: 'sk-insights',
      AI_TRIAGE_PER_HOUR: String(perHour),
    })
  /** Tickets past the workspace's triage cap of one an hour: the job skipped them. */
  async function skippedTickets(agent: Agent, count: number) {
    capped(1)
    triageAnswer = {
      priority: 'high',
      tags: ['Shipping'],
      language: 'en',
      sentiment: 'negative',
      gist: 'Lid broke',
    }
    const first = await createTicketFor(agent)
    expect((await triageTicket(agent.workspace.id, first.ticketId)).outcome).toBe('suggested')
    const skipped = []
    for (let i = 0; i < count; i++) {
      const ticket = await createTicketFor(agent, { subject: `Lid ${i}` })
      expect(await triageTicket(agent.workspace.id, ticket.ticketId)).toMatchObject({ outcome: 'skipped' })
      skipped.push(ticket)
    }
    fake.requests.length = 0
    return skipped
  }

  it('a skipped ticket offers it; over the cap the page says so next to the button, and once calls free up one click triages it', async () => {
    const agent = await workspace()
    const [ticket] = await skippedTickets(agent, 1)
    const path = ticketPath(agent, ticket!.number)
    const page = await (await getPage(agent, path)).text()
    expect(page).toContain('Not triaged: this workspace reached its limit of AI triage calls for now.')
    expect(page).toMatch(/<button[^>]*type="submit"[^>]*>Triage now<\/button>/)

    // Still over the cap: no call, the ticket page again with the reason by the button.
    const refused = await post(agent, `${path}/ai/triage`, { intent: 'run' })
    expect(refused.status).toBe(302)
    expect(refused.headers.get('location')).toBe(`${path}?ai-error=workspace-limit&ai-for=triage`)
    expect(fake.requests).toHaveLength(0)
    // The agent's own AI slots were given back: no call was made.
    expect(await hits(aiDailyKey(agent.user.id))).toBe(0)
    const kept = await (await getPage(agent, refused.headers.get('location')!)).text()
    expect(kept).toContain('Still not triaged: this workspace has used its AI triage calls for now')
    expect(kept).toContain('Triage now')

    // The hour frees up: the click makes the call, counted in the workspace's hour and the agent's day.
    await getDb().execute(
      sql`delete from rate_limit_counters where key = ${aiTriageKeys(agent.workspace.id).hour}`,
    )
    const done = await post(agent, `${path}/ai/triage`, { intent: 'run' })
    expect(done.headers.get('location')).toBe(path)
    expect(fake.requests).toHaveLength(1)
    expect(await hits(aiTriageKeys(agent.workspace.id).hour)).toBe(1)
    expect(await hits(aiDailyKey(agent.user.id))).toBe(1)
    const triaged = await (await getPage(agent, path)).text()
    expect(triaged).toContain('Lid broke')
    expect(triaged).toContain('Set priority: High')
    expect(triaged).not.toContain('Triage now')
    // Triaged now: another click calls no one.
    expect((await post(agent, `${path}/ai/triage`, { intent: 'run' })).headers.get('location')).toBe(path)
    expect(fake.requests).toHaveLength(1)
  })

  it('keeps the caps exact under parallel clicks, counts against the agent’s AI limits, is 404 from another workspace and 400 for an unknown intent', async () => {
    const agent = await workspace()
    const skipped = await skippedTickets(agent, 4)
    // Three an hour: the job used one, so two of four parallel clicks get a call.
    capped(3)
    const clicks = await Promise.all(
      skipped.map((t) => post(agent, `${ticketPath(agent, t.number)}/ai/triage`, { intent: 'run' })),
    )
    const locations = clicks.map((r) => r.headers.get('location')!)
    expect(locations.filter((l) => !l.includes('ai-error'))).toHaveLength(2)
    expect(locations.filter((l) => l.endsWith('?ai-error=workspace-limit&ai-for=triage'))).toHaveLength(2)
    expect(fake.requests).toHaveLength(2)
    expect(await hits(aiTriageKeys(agent.workspace.id).hour)).toBe(3)

    const waiting = skipped[locations.findIndex((l) => l.includes('ai-error'))]!
    const path = ticketPath(agent, waiting.number)
    await getDb().execute(
      sql`delete from rate_limit_counters where key = ${aiTriageKeys(agent.workspace.id).hour}`,
    )
    // The agent's 24 hours of AI requests used up: refused before the workspace's cap is touched.
    await takeRateLimitSlot(getDb(), {
      key: aiDailyKey(agent.user.id),
      max: AI_INTERACTIVE_PER_DAY,
      windowMs: 24 * 60 * 60 * 1000,
      count: AI_INTERACTIVE_PER_DAY - (await hits(aiDailyKey(agent.user.id))),
    })
    const daily = await post(agent, `${path}/ai/triage`, { intent: 'run' })
    expect(daily.headers.get('location')).toBe(`${path}?ai-error=daily-limit&ai-for=triage`)
    expect(await hits(aiTriageKeys(agent.workspace.id).hour)).toBe(0)

    const outsider = await createMember('owner')
    expect((await post(outsider, `${path}/ai/triage`, { intent: 'run' })).status).toBe(404)
    for (const form of [{ intent: 'rerun' }, {}, { apply: 'priority' }]) {
      const bad = await post(agent, `${path}/ai/triage`, form as Record<string, string>)
      expect(bad.status).toBe(400)
      expect(await bad.text()).toContain("This page couldn't tell what you asked for")
    }
    expect(fake.requests).toHaveLength(2)
    const [row] = await getDb().select().from(ticketTriage).where(eq(ticketTriage.ticketId, waiting.ticketId))
    expect(row).toMatchObject({ skipped: 'limit', gist: '' })
  })
})

describe('Triage now clicked at once', () => {
  it('by four agents on one skipped ticket makes one model call, and every click comes back to the triaged ticket', async () => {
    const owner = await workspace()
    const agents = [
      owner,
      ...(await Promise.all([1, 2, 3].map(() => createMember('agent', owner.workspace)))),
    ]
    setProvider({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-insights', AI_TRIAGE_PER_HOUR: '1' })
    triageAnswer = { priority: 'high', tags: [], language: 'en', sentiment: 'negative', gist: 'Lid broke' }
    const first = await createTicketFor(owner)
    expect((await triageTicket(owner.workspace.id, first.ticketId)).outcome).toBe('suggested')
    const ticket = await createTicketFor(owner, { subject: 'Lid' })
    expect(await triageTicket(owner.workspace.id, ticket.ticketId)).toMatchObject({ outcome: 'skipped' })
    fake.requests.length = 0
    // Calls left, and a model slow enough that every click arrives while the first one waits.
    configured()
    fake.failNext({ kind: 'slow', delayMs: 400 })
    const path = ticketPath(owner, ticket.number)
    const clicks = await Promise.all(agents.map((a) => post(a, `${path}/ai/triage`, { intent: 'run' })))
    expect(fake.requests).toHaveLength(1)
    expect(clicks.map((r) => [r.status, r.headers.get('location')])).toEqual(agents.map(() => [302, path]))
    const [row] = await getDb().select().from(ticketTriage).where(eq(ticketTriage.ticketId, ticket.ticketId))
    expect(row).toMatchObject({ skipped: null, gist: 'Lid broke' })
    expect(await getDb().execute(sql`select * from ai_run_claims`)).toHaveProperty('rows', [])
    expect(await (await getPage(agents[3]!, path)).text()).not.toContain('Triage now')
  })

  it('gives the claim back when the call fails, so the next click makes the call', async () => {
    const agent = await workspace()
    setProvider({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-insights', AI_TRIAGE_PER_HOUR: '1' })
    triageAnswer = {
      priority: 'low',
      tags: [],
      language: 'en',
      sentiment: 'neutral',
      gist: 'Asks about lids',
    }
    await triageTicket(agent.workspace.id, (await createTicketFor(agent)).ticketId)
    const ticket = await createTicketFor(agent, { subject: 'Lid' })
    expect(await triageTicket(agent.workspace.id, ticket.ticketId)).toMatchObject({ outcome: 'skipped' })
    configured()
    fake.failNext(...Array.from({ length: 5 }, () => ({ kind: 'status' as const, status: 500 })))
    const path = ticketPath(agent, ticket.number)
    const failed = await post(agent, `${path}/ai/triage`, { intent: 'run' })
    expect(failed.headers.get('location')).toBe(`${path}?ai-error=failed&ai-for=triage`)
    fake.reset()
    const done = await post(agent, `${path}/ai/triage`, { intent: 'run' })
    expect(done.headers.get('location')).toBe(path)
    expect(fake.requests).toHaveLength(1)
    const [row] = await getDb().select().from(ticketTriage).where(eq(ticketTriage.ticketId, ticket.ticketId))
    expect(row).toMatchObject({ skipped: null, gist: 'Asks about lids' })
  })
})

describe('Triage now and the triage job', () => {
  const hourHits = async (workspaceId: string) =>
    (
      await getDb().execute<{ hits: number }>(
        sql`select coalesce(sum(hits), 0)::int as hits from rate_limit_counters
            where key = ${aiTriageKeys(workspaceId).hour}`,
      )
    ).rows[0]!.hits
  const claimsOf = async (workspaceId: string) =>
    (await getDb().execute(sql`select key from ai_run_claims where workspace_id = ${workspaceId}`)).rows

  /** A ticket the job skipped over a cap of one an hour (the cap's call went to another ticket). */
  /**
   * The workspace's tickets' queued triage jobs (enqueued when each was created) are removed, and
   * one a worker holds is waited out: the tests below call triageTicket themselves, and a job
   * that ran after the caps are lifted triaged the skipped ticket behind the test's back (a click
   * then found it triaged: seen under load in whole runs).
   */
  async function withoutTriageJobs(workspaceId: string) {
    await until(
      async () => {
        const left = await getDb().execute<{ state: string }>(sql`
          with gone as (
            delete from pgboss.job where name = 'ai.triage' and data->>'workspaceId' = ${workspaceId}
              and state in ('created', 'retry')
            returning 1)
          select state from pgboss.job where name = 'ai.triage' and data->>'workspaceId' = ${workspaceId}
            and state = 'active'`)
        return left.rows.length
      },
      (active) => active === 0,
      10_000,
    )
  }

  async function skippedTicket(answerAfter: number | Promise<unknown> = 600) {
    const owner = await workspace()
    setProvider({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-insights', AI_TRIAGE_PER_HOUR: '1' })
    triageAnswer = { priority: 'high', tags: [], language: 'en', sentiment: 'negative', gist: 'Lid broke' }
    expect((await triageTicket(owner.workspace.id, (await createTicketFor(owner)).ticketId)).outcome).toBe(
      'suggested',
    )
    const ticket = await createTicketFor(owner, { subject: 'Lid' })
    expect(await triageTicket(owner.workspace.id, ticket.ticketId)).toMatchObject({ outcome: 'skipped' })
    await withoutTriageJobs(owner.workspace.id)
    fake.requests.length = 0
    // Calls left now, and a model slow enough that everything below arrives during the first call.
    configured()
    fake.failNext({ kind: 'slow', delayMs: answerAfter })
    return { owner, ticket, path: ticketPath(owner, ticket.number) }
  }

  it('clicks during the job’s call on the ticket make no call of their own and land on the job’s result', async () => {
    const { owner, ticket, path } = await skippedTicket()
    const agents = [owner, ...(await Promise.all([1, 2].map(() => createMember('agent', owner.workspace))))]
    // The job runs again for the skipped ticket (a retry), and its call is under way.
    const job = triageTicket(owner.workspace.id, ticket.ticketId)
    await waitFor(() => fake.requests.length === 1)
    const clicks = await Promise.all(agents.map((a) => post(a, `${path}/ai/triage`, { intent: 'run' })))
    expect((await job).outcome).toBe('suggested')
    expect(fake.requests).toHaveLength(1)
    expect(clicks.map((r) => [r.status, r.headers.get('location')])).toEqual(agents.map(() => [302, path]))
    // One call, counted once: the job's first ticket and this one.
    expect(await hourHits(owner.workspace.id)).toBe(2)
    const [row] = await getDb().select().from(ticketTriage).where(eq(ticketTriage.ticketId, ticket.ticketId))
    expect(row).toMatchObject({ skipped: null, gist: 'Lid broke' })
    expect(await claimsOf(owner.workspace.id)).toEqual([])
    expect(await (await getPage(agents[2]!, path)).text()).not.toContain('Triage now')
  })

  it('the job makes no call while an agent’s Triage now runs, nor after it stored the result', async () => {
    const { owner, ticket, path } = await skippedTicket()
    const click = post(owner, `${path}/ai/triage`, { intent: 'run' })
    await waitFor(() => fake.requests.length === 1)
    expect(await triageTicket(owner.workspace.id, ticket.ticketId)).toEqual({
      outcome: 'claimed',
      events: [],
    })
    expect((await click).headers.get('location')).toBe(path)
    expect(await triageTicket(owner.workspace.id, ticket.ticketId)).toMatchObject({
      outcome: 'triaged-already',
    })
    expect(fake.requests).toHaveLength(1)
    expect(await hourHits(owner.workspace.id)).toBe(2)
    const runs = await getDb().select().from(aiRuns).where(eq(aiRuns.ticketId, ticket.ticketId))
    expect(runs.map((r) => [r.feature, r.outcome, r.userId])).toEqual([['triage', 'ok', owner.user.id]])
  })

  it('another workspace neither sees nor takes a ticket’s triage claim', async () => {
    // The first call is answered when the checks below are done: they include signing up a
    // workspace, which took longer than a 600 ms answer under load (the claim was gone by then).
    let answer = () => {}
    const { owner, ticket, path } = await skippedTicket(new Promise<void>((resolve) => (answer = resolve)))
    const click = post(owner, `${path}/ai/triage`, { intent: 'run' })
    await waitFor(() => fake.requests.length === 1)
    expect(await claimsOf(owner.workspace.id)).toEqual([{ key: `triage:${ticket.ticketId}` }])
    const outsider = await workspace()
    // The ticket's page and its Triage now are not the outsider's: 404, no claim, no call.
    expect((await post(outsider, `${path}/ai/triage`, { intent: 'run' })).status).toBe(404)
    expect(await claimsOf(outsider.workspace.id)).toEqual([])
    // The claim is the workspace's: under another workspace the same key is not held, and taking
    // or releasing it there leaves the first workspace's claim alone.
    const key = { workspaceId: outsider.workspace.id, key: `triage:${ticket.ticketId}` }
    expect(await aiRunHeld(getDb(), key)).toBe(false)
    const other = randomUUID()
    expect(await claimAiRun(getDb(), { ...key, claim: other, leaseSeconds: 60 })).toBe(true)
    await releaseAiRun(getDb(), { workspaceId: outsider.workspace.id, key: key.key, claim: other })
    await releaseAiRun(getDb(), { workspaceId: outsider.workspace.id, key: key.key, claim: randomUUID() })
    expect(await claimsOf(owner.workspace.id)).toEqual([{ key: `triage:${ticket.ticketId}` }])
    // Its own skipped ticket runs on its own claim, beside the first workspace's.
    const own = await createTicketFor(outsider)
    await getDb()
      .insert(ticketTriage)
      .values({ ticketId: own.ticketId, workspaceId: outsider.workspace.id, skipped: 'limit' })
    const ownPath = ticketPath(outsider, own.number)
    expect((await post(outsider, `${ownPath}/ai/triage`, { intent: 'run' })).headers.get('location')).toBe(
      ownPath,
    )
    expect(await claimsOf(owner.workspace.id)).toEqual([{ key: `triage:${ticket.ticketId}` }])
    answer()
    expect((await click).headers.get('location')).toBe(path)
    expect(fake.requests).toHaveLength(2)
    expect(await hourHits(outsider.workspace.id)).toBe(1)
  })
  it('a click that waited on the job’s call, which got no usable answer, says so, and makes no call of its own', async () => {
    const { owner, ticket, path } = await skippedTicket()
    // The model answers the job with something that is not a triage.
    triageAnswer = { priority: 'whenever', tags: 'all of them' }
    const job = triageTicket(owner.workspace.id, ticket.ticketId)
    await waitFor(() => fake.requests.length === 1)
    const click = await post(owner, `${path}/ai/triage`, { intent: 'run' })
    expect((await job).outcome).toBe('refused')
    // Before, any holder that stored nothing was "failed" ("No suggestion right now" elsewhere).
    expect(click.headers.get('location')).toBe(`${path}?ai-error=invalid&ai-for=triage`)
    const runs = await getDb().select().from(aiRuns).where(eq(aiRuns.ticketId, ticket.ticketId))
    expect(runs.map((r) => [r.feature, r.outcome, r.userId])).toEqual([['triage', 'invalid', null]])
    const page = await (await getPage(owner, click.headers.get('location')!)).text()
    expect(page).toContain('Not triaged: the AI provider gave no usable answer.')
  })

  it('a click that waited on a call that made none (the workspace over its triage cap) says the cap, not “no suggestion”', async () => {
    const { owner, ticket, path } = await skippedTicket()
    fake.reset()
    // Another call for the ticket holds the claim (the job's, refused by the cap before calling).
    const holder = { workspaceId: owner.workspace.id, key: `triage:${ticket.ticketId}` }
    const claim = randomUUID()
    expect(await claimAiRun(getDb(), { ...holder, claim, leaseSeconds: 60 })).toBe(true)
    // The click's attempt to claim waits on the claim's row while a transaction holds it: it has
    // surely lost to the holder, and waits for it, before the holder ends.
    const rowHeld = await holdTransaction((tx) =>
      tx.execute(sql`select 1 from ai_run_claims where workspace_id = ${holder.workspaceId}
                     and key = ${holder.key} for update`),
    )
    const click = post(owner, `${path}/ai/triage`, { intent: 'run' })
    await lockWaiters(1, rowHeld)
    await rowHeld.commit()
    // Only once the click's claim statement has finished (lost: the holder's row is still there)
    // does the holder end. Ended right after the commit, its delete could reach the row before
    // the woken click looked again, and PostgreSQL then inserted the click's claim (the conflict
    // was gone): the click won and triaged (a CI failure, twice).
    await until(
      async () =>
        (
          await getDb().execute<{ n: number }>(sql`
            select count(*)::int as n from pg_stat_activity
            where datname = current_database() and state = 'active'
              and query ilike 'insert into "ai_run_claims"%'`)
        ).rows[0].n,
      (n) => n === 0,
      3_000,
    )
    await releaseAiRun(getDb(), { ...holder, claim })
    const answered = await click
    expect(answered.headers.get('location')).toBe(`${path}?ai-error=workspace-limit&ai-for=triage`)
    expect(fake.requests).toHaveLength(0)
    const page = await (await getPage(owner, answered.headers.get('location')!)).text()
    expect(page).toContain('Still not triaged: this workspace has used its AI triage calls for now')
  })

  it('a click behind a claim a dead process left answers within seconds that triage is running, and calls once the lease lapsed', async () => {
    const { owner, ticket, path } = await skippedTicket()
    fake.reset()
    // A process died during its call: its claim holds for the job's whole lease (100 s).
    const holder = { workspaceId: owner.workspace.id, key: `triage:${ticket.ticketId}` }
    expect(
      await claimAiRun(getDb(), { ...holder, claim: randomUUID(), leaseSeconds: AI_RUN_LEASE_SECONDS.job }),
    ).toBe(true)
    const started = Date.now()
    const click = await post(owner, `${path}/ai/triage`, { intent: 'run' })
    const took = Date.now() - started
    expect(took).toBeGreaterThanOrEqual(CLICK_WAIT_MS - 50)
    // Seconds, not the lease's 100 s (a margin for a busy machine).
    expect(took).toBeLessThan(CLICK_WAIT_MS + 10_000)
    expect(click.headers.get('location')).toBe(`${path}?ai-error=running&ai-for=triage`)
    expect(fake.requests).toHaveLength(0)
    const page = await (await getPage(owner, click.headers.get('location')!)).text()
    expect(page).toContain(
      'Triage is already running for this ticket: its result will appear here by itself.',
    )
    expect(page).toContain('Triage now')

    // The lease runs out: the next click takes the claim over and triages the ticket.
    await getDb().execute(
      sql`update ai_run_claims set claimed_until = now() - interval '1 second'
          where workspace_id = ${holder.workspaceId} and key = ${holder.key}`,
    )
    expect((await post(owner, `${path}/ai/triage`, { intent: 'run' })).headers.get('location')).toBe(path)
    expect(fake.requests).toHaveLength(1)
    const triaged = await (await getPage(owner, path)).text()
    expect(triaged).not.toContain('Triage now')
    expect(triaged).not.toContain('Triage is already running')
  })
})

describe('Budget and configuration', () => {
  it('with the budget spent: agents see the message, nothing calls the provider', async () => {
    const agent = await workspace({ budget: 10 })
    const ticket = await createTicketFor(agent)
    await addMessages(ticket.ticketId, agent.workspace.id, 4)
    await getDb().insert(aiRuns).values({
      workspaceId: agent.workspace.id,
      feature: 'draft',
      model: 'm',
      tokensIn: 10,
      tokensOut: 5,
      latencyMs: 1,
      outcome: 'ok',
    })
    const path = ticketPath(agent, ticket.number)
    const html = await (await getPage(agent, path)).text()
    expect(html).toContain('AI budget used up for this month')
    const response = await post(agent, `${path}/ai/summary`, {})
    expect(response.headers.get('location')).toContain('ai-error=budget')
    expect(fake.requests).toHaveLength(0)
  })

  it('not configured: one hint instead of the controls, the page works', async () => {
    const agent = await workspace()
    const ticket = await spanishTicket(agent)
    await addMessages(ticket.ticketId, agent.workspace.id, 4)
    setProvider({ OPENAI_BASE_URL: undefined, OPENAI_API_KEY: undefined })
    const page = await getPage(agent, ticketPath(agent, ticket.number))
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('AI is not configured — see Settings → AI')
    expect(html).not.toContain('Translate from')
    expect(html).not.toContain('Refresh summary')
    expect(html).not.toContain('Set priority: High')
    expect(html).not.toContain('Translate to Spanish')
  })
})
