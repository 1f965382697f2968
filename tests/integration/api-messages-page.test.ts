import { beforeAll, expect, it } from 'vitest'
import { listMessagesPage, MESSAGES_PAGE_CHARS } from '#app/domain/api-resources.server.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import { asMember, createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
})

it('ends a page of long messages at the text budget, with a cursor to the rest, each message once and in order', async () => {
  const owner = await createMember('owner')
  const ticket = await createTicketFor(owner)
  const member = asMember(owner)
  for (let i = 0; i < 25; i++) {
    const body = `${String(i).padStart(2, '0')} ${'x'.repeat(99_990)}`
    const sent = await replyToTicket(member, ticket.number, { kind: 'note', body })
    expect(sent.kind).toBe('sent')
  }
  const seen: string[] = []
  let cursor: string | undefined
  let pages = 0
  do {
    const page = await listMessagesPage(member, ticket.number, cursor, 100)
    if (page.kind !== 'page') throw new Error(page.kind)
    pages += 1
    const chars = page.rows.reduce((sum, m) => sum + m.bodyText.length, 0)
    // Over the budget only by the message that started it.
    expect(chars - page.rows.at(-1)!.bodyText.length).toBeLessThanOrEqual(MESSAGES_PAGE_CHARS)
    expect(page.rows.length).toBeGreaterThan(0)
    seen.push(...page.rows.map((m) => m.bodyText.slice(0, 2)))
    cursor = page.nextCursor ?? undefined
  } while (cursor)
  // The customer's first message, then the 25 notes, each once and in order, over 3 pages.
  expect(seen).toEqual([
    expect.any(String),
    ...Array.from({ length: 25 }, (_, i) => String(i).padStart(2, '0')),
  ])
  expect(pages).toBe(3)
  // Short messages still come 100 to a page.
  const short = await createTicketFor(owner)
  for (let i = 0; i < 3; i++) await replyToTicket(member, short.number, { kind: 'note', body: `n${i}` })
  const whole = await listMessagesPage(member, short.number, undefined, 100)
  expect(whole).toMatchObject({ kind: 'page', nextCursor: null })
  if (whole.kind === 'page') expect(whole.rows).toHaveLength(4)
})
