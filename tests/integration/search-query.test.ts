import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { SEARCH_QUERY_CHARS, searchQuery } from '#db/queries/search-query.ts'
import * as ticketsRoute from '#app/routes/w.$slug.tickets._index.tsx'
import { apiClient, apiTokenFor } from '#tests/helpers/api.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { callLoader, inboxRows, type RouteResult } from '#tests/helpers/routes.ts'

// What a search reads of the words typed (db/queries/search-query.ts), in the inbox and the API:
// a long query cut between words, text with HTML-looking tags read as the tickets' text is, and
// snippets that show the customer's text exactly, marked only where the search matched.

type Actor = Awaited<ReturnType<typeof createMember>>
type Part = { text: string; highlight: boolean }

let server: Awaited<ReturnType<typeof startTestServer>>
let call: ReturnType<typeof apiClient>

beforeAll(async () => {
  server = await startTestServer({ sockets: false })
  call = apiClient(server.url)
})
afterAll(async () => {
  await server.close()
})

function queue(actor: Actor, q: string) {
  const slug = actor.workspace.slug
  return callLoader(ticketsRoute, `/w/${slug}/tickets?${new URLSearchParams({ q })}`, {
    cookie: actor.cookie,
    params: { slug },
  })
}
const numbers = (result: RouteResult) =>
  inboxRows(result)
    .map((r: { number: number }) => r.number)
    .sort((a: number, b: number) => a - b)

async function apiNumbers(token: string, q: string) {
  const res = await call('GET', `/api/v1/tickets?${new URLSearchParams({ q })}`, { token })
  expect(res.status, res.text).toBe(200)
  return (res.json.data as Array<{ number: number }>).map((t) => t.number).sort((a, b) => a - b)
}

describe('searchQuery', () => {
  it('cuts a long query before the word the limit falls in, never in a surrogate pair or leaving a quote open', () => {
    const refunds = 'refund '.repeat(29).trim()
    expect(refunds.length).toBeGreaterThan(SEARCH_QUERY_CHARS)
    const cut = searchQuery(refunds)!
    expect(cut.cut).toBe(true)
    expect(cut.text).toBe('refund '.repeat(28).trim())
    // The limit falls between two words: both sides whole.
    const exact = `${'a'.repeat(SEARCH_QUERY_CHARS)} more`
    expect(searchQuery(exact)!.text).toBe('a'.repeat(SEARCH_QUERY_CHARS))
    // One word longer than the limit: its first characters (there is nothing else to search for).
    expect(searchQuery('x'.repeat(300))!.text).toBe('x'.repeat(SEARCH_QUERY_CHARS))
    // An emoji across the limit is not cut in half.
    const emoji = `${'x'.repeat(SEARCH_QUERY_CHARS - 1)}😀`
    expect(searchQuery(`${emoji}y z`)!.text).toBe('x'.repeat(SEARCH_QUERY_CHARS - 1))
    // A quote the cut left opening nothing goes.
    expect(searchQuery(`${'w '.repeat(99)}"refund`)!.text).toBe('w '.repeat(99).trim())
    expect(searchQuery('   ')).toBeUndefined()
    expect(searchQuery(' refund ')).toEqual({ text: 'refund', tsText: 'refund', cut: false })
  })

  it('reads the tags PostgreSQL leaves out of a ticket’s text as it does', async () => {
    const texts = [
      'HTML <b>refund</b> please',
      'Body with <script>alert(1)</script> and <b>refund</b>',
      '<a href="http://x.example/y?z=1">link</a> ok',
      'a <b c="x > y"> e',
      'a <!-- hidden --> b',
      'a <!DOCTYPE html> b',
      'a <?xml version="1.0"?> b',
      'a <br/> b <b:c> d <B> e',
      // Not tags to the parser: kept.
      'John <john@x.example> wrote',
      'price <5 and >3',
      'a </ b> c',
      'a <b c=d@e> f',
    ]
    for (const text of texts) {
      const { tsText } = searchQuery(text)!
      const result = await getDb().execute<{ same: boolean; found: boolean }>(sql`
        select strip(to_tsvector('english', ${text})) = strip(to_tsvector('english', ${tsText})) as same,
          to_tsvector('english', ${text}) @@ websearch_to_tsquery('english', ${tsText}) as found`)
      expect(result.rows[0], text).toEqual({ same: true, found: true })
    }
  })
})

describe('search in the inbox and the API', () => {
  it('finds with a query over the limit whose cut falls in a word, and says only part was used', async () => {
    const member = await createMember()
    const { token } = await apiTokenFor(member)
    const tickets = []
    for (let i = 0; i < 4; i++) tickets.push(await createTicketFor(member, { subject: `Refund ${i}` }))
    await createTicketFor(member, { subject: 'Something else' })
    const expected = tickets.map((t) => t.number).sort((a, b) => a - b)
    const long = 'refund '.repeat(29)
    const result = await queue(member, long)
    expect(numbers(result)).toEqual(expected)
    expect(result.data.searchUsedOnly).toBe('refund '.repeat(28).trim())
    expect((await queue(member, 'refund')).data.searchUsedOnly).toBeNull()
    expect(await apiNumbers(token, long)).toEqual(expected)
  })

  it('finds text pasted with HTML-looking tags as the ticket holds it', async () => {
    const member = await createMember()
    const { token } = await apiTokenFor(member)
    const html = await createTicketFor(member, { subject: 'HTML <b>refund</b> please' })
    await createTicketFor(member, { subject: 'Nothing alike' })
    for (const q of ['HTML <b>refund</b> please', '<b>refund', 'refund</b>', 'HTML refund please']) {
      expect(numbers(await queue(member, q)), q).toEqual([html.number])
      expect(await apiNumbers(token, q), q).toEqual([html.number])
    }
  })

  it('shows the customer’s text in a snippet exactly, marked only where the search matched', async () => {
    const member = await createMember()
    // Each body, and what its snippet shows: ts_headline's fragment ends at its last word.
    const bodies: Array<[string, string]> = [
      ['Please ⟦spoofed⟧ this refund request.', 'Please ⟦spoofed⟧ this refund request'],
      [
        'Body with <script>alert(1)</script> and <b>refund</b>',
        'Body with <script>alert(1)</script> and <b>refund',
      ],
      [
        'Private-use \ue000\ue004 and \ue000 text, refund \ue003 <b',
        'Private-use \ue000\ue004 and \ue000 text, refund',
      ],
    ]
    for (const [body] of bodies) await createTicketFor(member, { subject: `Case ${body.length}`, body })
    const rows: Array<{ snippet: Part[] }> = inboxRows(await queue(member, 'refund'))
    const shown = rows.map((row) => row.snippet.map((p) => p.text).join('')).sort()
    expect(shown).toEqual(bodies.map(([, snippet]) => snippet).sort())
    for (const row of rows) {
      expect(row.snippet.filter((p) => p.highlight).map((p) => p.text)).toEqual(['refund'])
    }
  })

  it('API: q of spaces only is refused as an empty one is; #N finds ticket N too', async () => {
    const member = await createMember()
    const { token } = await apiTokenFor(member)
    for (let i = 0; i < 36; i++) await createTicketFor(member, { subject: 'Ticket' })
    for (const q of ['', '  ']) {
      const res = await call('GET', `/api/v1/tickets?q=${encodeURIComponent(q)}`, { token })
      expect(res.status, JSON.stringify(q)).toBe(400)
    }
    expect(await apiNumbers(token, '#35')).toEqual([35])
    // A number the workspace has none for is searched for as text, as in the inbox.
    expect(await apiNumbers(token, '#999')).toEqual([])
  })
})
