import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pathFor } from '#app/integrations/storage.server.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { createWorkspace } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Files arrive while the form streams in, before the form is judged. A refused form's files
// (a field error, the rate limit) used to stay on disk until the nightly cleanup took them a day
// later: refused posts with 25 MB each filled the disk at line speed. Through the real app
// (request scope, upload parser, support form) over HTTP.
let server: Awaited<ReturnType<typeof startTestServer>>
let slug: string
let ip = 0

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
  server = await startTestServer({ sockets: false })
  slug = (await createWorkspace()).slug
})
afterAll(async () => {
  await server?.close()
  await stopQueue()
})

function post(fields: Record<string, string>, file: Buffer, from = `203.0.113.${++ip}`) {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  form.append('files', new File([new Uint8Array(file)], 'report.pdf', { type: 'application/pdf' }))
  return fetch(`${server.url}/support/${slug}`, {
    method: 'POST',
    body: form,
    redirect: 'manual',
    headers: { origin: server.url, 'x-forwarded-for': from },
  })
}

const valid = (n: number) => ({
  name: 'Robin Buyer',
  email: `robin-${n}-${randomBytes(3).toString('hex')}@example.org`,
  subject: `Broken parcel ${n}`,
  message: 'It arrived broken.',
})
const stored = (content: Buffer) => fs.existsSync(pathFor(createHash('sha256').update(content).digest('hex')))

describe('files of a refused form', () => {
  it('are removed when the form is refused for a field, and kept when it makes a ticket', async () => {
    const content = randomBytes(300_000)
    const refused = await post({ ...valid(1), email: 'not an address' }, content)
    expect(refused.status).toBe(400)
    await expect.poll(() => stored(content)).toBe(false)

    const sent = await post(valid(2), content)
    expect(sent.status).toBe(302)
    // Well after the response: still there, the ticket's attachment names it.
    await new Promise((r) => setTimeout(r, 300))
    expect(stored(content)).toBe(true)
    // The same bytes refused again later are not this request's file: they stay for the ticket.
    expect((await post({ ...valid(3), subject: '' }, content)).status).toBe(400)
    await new Promise((r) => setTimeout(r, 300))
    expect(stored(content)).toBe(true)
  })

  it('are removed when the sender is over the rate limit', async () => {
    const from = '203.0.113.250'
    for (let i = 0; i < 5; i++) expect((await post(valid(10 + i), randomBytes(1000), from)).status).toBe(302)
    const contents = Array.from({ length: 4 }, () => randomBytes(200_000))
    const answers = await Promise.all(contents.map((c, i) => post(valid(20 + i), c, from)))
    expect(answers.map((a) => a.status)).toEqual([429, 429, 429, 429])
    await expect.poll(() => contents.filter(stored).length).toBe(0)
  })
})
