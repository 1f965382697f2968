import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UNREADABLE_UPLOAD } from '#app/http/uploads.server.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { RAW_BOUNDARY, rawMultipart } from '#tests/helpers/multipart.ts'

// Through the real Express app and the production build (npm run build): a broken upload body
// must come back as the form with a message, from every layer, never as a 500.
let server: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  server = await startTestServer({ sockets: false })
})
afterAll(async () => {
  await server.close()
})

const typed = { headers: ['Content-Disposition: form-data; name="message"'], content: 'typed text' }

describe('a malformed upload posted to the support form over HTTP', () => {
  it.each([
    ['no boundary', rawMultipart([typed]), 'multipart/form-data'],
    ['a part without Content-Disposition', rawMultipart([typed, { headers: [], content: 'x' }]), undefined],
    [
      'a part without a name',
      rawMultipart([{ headers: ['Content-Disposition: form-data'], content: 'x' }]),
      undefined,
    ],
    ['an unterminated body', rawMultipart([typed], { close: false }), undefined],
  ])('%s: 400 and the form with the message, with and without JavaScript', async (_case, body, type) => {
    const { workspace } = await createMember('agent')
    for (const path of [`/support/${workspace.slug}`, `/support/${workspace.slug}.data`]) {
      const response = await fetch(server.url + path, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          origin: server.url,
          'content-type': type ?? `multipart/form-data; boundary=${RAW_BOUNDARY}`,
          'x-forwarded-for': '192.0.2.44',
        },
        body,
      })
      expect(response.status).toBe(400)
      expect(await response.text()).toContain(UNREADABLE_UPLOAD)
    }
  })
})
