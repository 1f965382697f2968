import { beforeAll, describe, expect, it } from 'vitest'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as besideRoute from '#app/routes/w.$slug.tickets.$number_.beside.$direction.tsx'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { callLoader } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
})

type Agent = Awaited<ReturnType<typeof createMember>>

function go(agent: Agent, number: number, direction: string, from: string, slug = agent.workspace.slug) {
  return callLoader(
    besideRoute,
    `/w/${slug}/tickets/${number}/beside/${direction}?${new URLSearchParams({ from })}`,
    {
      cookie: agent.cookie,
      params: { slug, number: String(number), direction },
    },
  )
}

describe('previous / next ticket of the view (j / k on the ticket page)', () => {
  it('redirects to the ticket beside this one in the view, or back to the view at its ends', async () => {
    const agent = await createMember('agent')
    const tickets = []
    for (let i = 0; i < 3; i++) tickets.push(await createTicketFor(agent))
    const [first, second, third] = tickets as [(typeof tickets)[0], (typeof tickets)[0], (typeof tickets)[0]]
    const queue = `/w/${agent.workspace.slug}/tickets`
    const at = (n: number, from: string) => `${queue}/${n}?${new URLSearchParams({ from })}#latest`
    // Newest created first: third, second, first.
    const from = 'view=all&sort=created'
    expect((await go(agent, third.number, 'next', from)).location).toBe(at(second.number, from))
    expect((await go(agent, second.number, 'previous', from)).location).toBe(at(third.number, from))
    expect((await go(agent, first.number, 'next', from)).location).toBe(`${queue}?${from}`)
    expect((await go(agent, third.number, 'previous', from)).location).toBe(`${queue}?${from}`)
  })

  it('crosses into the next or previous page of the view, and goes on from the page it landed on', async () => {
    const agent = await createMember('agent')
    const created = []
    for (let i = 0; i < 27; i++) created.push(await createTicketFor(agent))
    // Newest created first: page 1 holds the 25 newest, page 2 the 2 oldest.
    const numbers = created.map((t) => t.number).reverse()
    const from = 'view=all&sort=created'
    const across = await go(agent, numbers[24]!, 'next', from)
    const landed = new URL(across.location!, 'http://x')
    expect(landed.pathname).toBe(`/w/${agent.workspace.slug}/tickets/${numbers[25]}`)
    const pageTwo = landed.searchParams.get('from')!
    expect(pageTwo).toContain('after=')
    // From there on, the view is page 2: next is the oldest, previous crosses back to page 1.
    const onward = new URL((await go(agent, numbers[25]!, 'next', pageTwo)).location!, 'http://x')
    expect(onward.pathname).toBe(`/w/${agent.workspace.slug}/tickets/${numbers[26]}`)
    const back = new URL((await go(agent, numbers[25]!, 'previous', pageTwo)).location!, 'http://x')
    expect(back.pathname).toBe(`/w/${agent.workspace.slug}/tickets/${numbers[24]}`)
    expect(back.searchParams.get('from')).toContain('before=')
  })

  it('never reveals another workspace: 404 for a workspace the agent is not in, and for an unknown direction', async () => {
    const agent = await createMember('agent')
    const stranger = await createMember('agent')
    const theirs = await createTicketFor(stranger)
    await createTicketFor(stranger)
    const refused = await go(agent, theirs.number, 'next', 'view=all', stranger.workspace.slug)
    expect(refused.status).toBe(404)
    expect(refused.location ?? '').not.toContain(String(theirs.number + 1))
    const mine = await createTicketFor(agent)
    expect((await go(agent, mine.number, 'sideways', 'view=all')).status).toBe(404)
  })

  it('sends a visitor without a session to the login page', async () => {
    const agent = await createMember('agent')
    const mine = await createTicketFor(agent)
    const anonymous = await callLoader(
      besideRoute,
      `/w/${agent.workspace.slug}/tickets/${mine.number}/beside/next`,
      {
        params: { slug: agent.workspace.slug, number: String(mine.number), direction: 'next' },
      },
    )
    expect(anonymous.status).toBe(302)
    expect(anonymous.location).toMatch(/^\/login/)
  })
})
