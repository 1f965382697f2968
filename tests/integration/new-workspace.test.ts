import { eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { memberships, workspaces } from '#db/schema.ts'
import * as newWorkspaceRoute from '#app/routes/workspaces.new.tsx'
import { workspaceCreationLimit } from '#app/domain/workspaces.server.ts'
import { createUser, createWorkspace, signIn } from '#tests/helpers/factories.ts'
import { rowCounts } from '#tests/helpers/db-reads.ts'
import { callAction } from '#tests/helpers/routes.ts'

let cookie: string

beforeAll(async () => {
  const user = await createUser()
  cookie = (await signIn(user.id)).cookie
})

/** The tables a refused form must leave as they were. */
const watched = { workspaces, memberships }

const post = (form: Record<string, string>) =>
  callAction(newWorkspaceRoute, '/workspaces/new', form, { cookie })

describe('new workspace', () => {
  it('makes the URL from the name when the URL field is left empty (no JavaScript)', async () => {
    const result = await post({ name: 'Helpdesk Nord', slug: '' })
    expect(result.status).toBe(302)
    expect(result.location).toBe('/w/helpdesk-nord')
    const [row] = await getDb()
      .select({ name: workspaces.name })
      .from(workspaces)
      .where(eq(workspaces.slug, 'helpdesk-nord'))
    expect(row).toEqual({ name: 'Helpdesk Nord' })
  })

  it.each([
    ['an empty name and URL', { name: '', slug: '' }, 'name', 'Workspace name is required'],
    ['an empty name with a URL', { name: '  ', slug: 'fine-url' }, 'name', 'Workspace name is required'],
    [
      'a name with no letters to make a URL from',
      { name: '!!!', slug: '' },
      'slug',
      'Choose a URL: the name has no letters or digits',
    ],
    ['a name whose URL would be too short', { name: 'Q', slug: '' }, 'slug', '“q”, made from the name'],
    ['an invalid URL', { name: 'Fine', slug: '-x' }, 'slug', 'Use lowercase letters'],
  ])(
    'refuses %s with one error on the field to fix, keeps what was typed',
    async (_, form, field, message) => {
      const before = await rowCounts(watched)
      const result = await post(form)
      expect(result.status).toBe(400)
      expect(Object.keys(result.data.result.error)).toEqual([field])
      expect(result.data.result.error[field].join(' ')).toContain(message)
      if (form.name.trim()) expect(result.data.result.initialValue.name).toBe(form.name)
      expect(await rowCounts(watched)).toEqual(before)
    },
  )

  it('names the URL made from the name when it is taken', async () => {
    await createWorkspace({ slug: 'taken-here' })
    const before = await rowCounts(watched)
    const result = await post({ name: 'Taken Here', slug: '' })
    expect(result.status).toBe(400)
    expect(result.data.result.error).toEqual({ slug: ['/w/taken-here is taken; choose another URL'] })
    expect(result.data.result.initialValue.name).toBe('Taken Here')
    expect(await rowCounts(watched)).toEqual(before)
  })

  const LIMIT = workspaceCreationLimit().max

  it(`creates at most ${LIMIT} workspaces a day per person, exactly, under a parallel burst; the rest are 429 on the name with the form kept`, async () => {
    const user = await createUser()
    const own = (await signIn(user.id)).cookie
    const postAs = (form: Record<string, string>) =>
      callAction(newWorkspaceRoute, '/workspaces/new', form, { cookie: own })
    // A refusal for a taken URL makes no workspace and uses none of the day's.
    await createWorkspace({ slug: `taken-${user.id.slice(-8)}` })
    for (let i = 0; i < 2; i++) {
      expect((await postAs({ name: 'Taken', slug: `taken-${user.id.slice(-8)}` })).status).toBe(400)
    }
    const before = await rowCounts(watched)
    const burst = LIMIT + 3
    const results = await Promise.all(
      Array.from({ length: burst }, (_, i) =>
        postAs({ name: `Spam ${i}`, slug: `spam-${i}-${user.id.slice(-8)}` }),
      ),
    )
    expect(results.filter((r) => r.status === 302)).toHaveLength(LIMIT)
    const refused = results.filter((r) => r.status === 429)
    expect(refused).toHaveLength(3)
    // When a slot frees up depends on where in the day the burst fell (a sliding estimate).
    expect(refused[0]!.data.result.error).toEqual({
      name: [
        expect.stringMatching(
          new RegExp(
            `^You created ${LIMIT} workspaces in the last 24 hours\\. Try again in (an hour|\\d+ hours)\\.$`,
          ),
        ),
      ],
    })
    expect(refused[0]!.data.result.initialValue.name).toMatch(/^Spam \d+$/)
    expect(refused[0]!.data.result.initialValue.slug).toMatch(/^spam-\d+-/)
    expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThan(0)
    const owned = await getDb()
      .select({ id: memberships.id })
      .from(memberships)
      .where(eq(memberships.userId, user.id))
    expect(owned).toHaveLength(LIMIT)
    const after = await rowCounts(watched)
    expect(after.workspaces - before.workspaces).toBe(LIMIT)
    // Another person is not limited by this one's workspaces.
    expect((await post({ name: 'Someone else', slug: `else-${user.id.slice(-8)}` })).status).toBe(302)
  })
})
