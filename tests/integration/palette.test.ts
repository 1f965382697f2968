import { describe, expect, it } from 'vitest'
import { prefixQuery } from '#app/domain/palette.server.ts'
import * as paletteRoute from '#app/routes/w.$slug.palette.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { callLoader } from '#tests/helpers/routes.ts'

type Actor = Awaited<ReturnType<typeof createMember>>

async function palette(actor: Actor, q: string, slug = actor.workspace.slug) {
  const result = await callLoader(paletteRoute, `/w/${slug}/palette?${new URLSearchParams({ q })}`, {
    cookie: actor.cookie,
    params: { slug },
  })
  return { ...result, json: result.status === 200 ? JSON.parse(result.data as string) : null }
}

/** Two workspaces with look-alike tickets and customers. */
async function twoWorkspaces() {
  const a = await createMember('owner')
  const b = await createMember('owner')
  const kettle = await createTicketFor(a, {
    subject: 'Kettle arrived broken',
    customerName: 'Avery Ames',
    customerEmail: 'avery@example.net',
  })
  const other = await createTicketFor(a, { subject: 'Invoice question' })
  const theirs = await createTicketFor(b, {
    subject: 'Kettle lid missing',
    customerName: 'Avery Bosch',
    customerEmail: 'avery.b@example.org',
  })
  return { a, b, kettle, other, theirs }
}

describe('the command palette search', () => {
  it('finds tickets by word prefixes and customers by name or email, and says who is asking', async () => {
    const t = await twoWorkspaces()
    const found = await palette(t.a, 'kett brok')
    expect(found.status).toBe(200)
    expect(found.headers.get('cache-control')).toBe('no-store')
    expect(found.json.me).toBe(t.a.user.id)
    expect(found.json.tickets).toEqual([
      { number: t.kettle.number, subject: 'Kettle arrived broken', status: 'open' },
    ])
    const customers = await palette(t.a, 'avery')
    expect(customers.json.customers).toEqual([
      expect.objectContaining({ name: 'Avery Ames', email: 'avery@example.net' }),
    ])
  })

  it('jumps by number with or without #, first among the matches', async () => {
    const t = await twoWorkspaces()
    for (const q of [`#${t.other.number}`, String(t.other.number)]) {
      const found = await palette(t.a, q)
      expect(found.json.tickets[0]).toMatchObject({ number: t.other.number, subject: 'Invoice question' })
      expect(found.json.customers).toEqual([])
    }
  })

  it("never returns another workspace's tickets or customers, and 404s a non-member", async () => {
    const t = await twoWorkspaces()
    for (const q of ['kettle', 'avery', 'example', `#${t.theirs.number}`, 'lid']) {
      const found = await palette(t.a, q)
      const text = JSON.stringify(found.json)
      expect(text).not.toContain('Kettle lid missing')
      expect(text).not.toContain('Avery Bosch')
      expect(text).not.toContain('avery.b@example.org')
    }
    // Ticket numbers are per workspace: B's #1 is not A's #1.
    const sameNumber = await palette(t.a, `#${t.theirs.number}`)
    expect(
      sameNumber.json.tickets.every((r: { subject: string }) => r.subject !== 'Kettle lid missing'),
    ).toBe(true)
    const intoB = await palette(t.a, 'kettle', t.b.workspace.slug)
    expect(intoB.status).toBe(404)
  })

  it('asks the sign-in page for anonymous requests and keeps odd input harmless', async () => {
    const t = await twoWorkspaces()
    const anonymous = await callLoader(paletteRoute, `/w/${t.a.workspace.slug}/palette?q=kettle`, {
      params: { slug: t.a.workspace.slug },
    })
    expect(anonymous.status).toBe(302)
    expect(anonymous.location).toMatch(/^\/login/)
    for (const q of ["') or 1=1 --", '!!! & | :*', '%_%', 'x'.repeat(5000), '']) {
      const found = await palette(t.a, q)
      expect(found.status).toBe(200)
      expect(JSON.stringify(found.json)).not.toContain('Kettle lid missing')
    }
    expect(prefixQuery("kettle's & bro:*")).toBe('kettle:* & s:* & bro:*')
    expect(prefixQuery('!!!')).toBeNull()
  })
})
