import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { outboundEmailLimit } from '#app/domain/outbound-email-limit.server.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import * as loginRoute from '#app/routes/login.tsx'
import {
  createInvitation,
  createMember,
  createTicketFor,
  outboundEmailsCounted,
  PASSWORD,
} from '#tests/helpers/factories.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { callAction } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// A form posted without JavaScript is a document request: Remix renders the page, and the headers
// the action answered with reach the response only if something carries them over
// (app/entry.server.tsx). With JavaScript the same form posts to its path plus `.data` (single
// fetch), whose headers Remix builds the same way (app/http/data-requests.server.ts carries them
// over). Each form here is posted as `.data` until refused, then once more as a document, and both
// refusals must say when to try again, the same wait.

let server: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
  server = await startTestServer({ sockets: false })
})
afterAll(async () => {
  await server.close()
  await stopQueue()
})

type RefusableForm = {
  name: string
  /** What the refusal page says (HTML-escaped as the page renders it). */
  message: RegExp
  /** At most this many posts before the refusal. */
  attempts: number
  /** Posts the form as a browser without JavaScript does, or with it (`.data`). */
  post: (via: Via) => Promise<Response>
}

type Via = 'document' | 'data'

/**
 * Posts the way a browser without JavaScript does (a plain form, HTML accepted), or as Remix's
 * fetchers and `<Form>` do with JavaScript: the same body to the path plus `.data`.
 */
function postForm(
  via: Via,
  path: string,
  body: FormData | URLSearchParams,
  headers: Record<string, string> = {},
) {
  const url = new URL(path, server.url)
  if (via === 'data') url.pathname += '.data'
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: server.url, accept: via === 'document' ? 'text/html' : '*/*', ...headers },
    body,
  })
}

function postDocument(path: string, body: FormData | URLSearchParams, headers: Record<string, string> = {}) {
  return postForm('document', path, body, headers)
}

async function refusableForms(): Promise<RefusableForm[]> {
  const agent = await createMember('owner')
  const ticket = await createTicketFor(agent)
  // The hour's customer emails spent but one: the second reply is refused.
  await outboundEmailsCounted(agent.workspace.id, outboundEmailLimit(false).max - 1)
  const creator = await createMember('owner')
  const invitation = await createInvitation(creator)
  const linkPath = new URL(ticket.customerLink).pathname
  let workspace = 0
  let signup = 0
  // Each form from its own address (the server trusts X-Forwarded-For from loopback), so one
  // form's refusals do not spill into the next; a network of this run's own, so no other test file
  // (they share the database, and several use 203.0.113.x) counts against or clears its limits.
  const net = `10.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}`
  const from = (n: number) => ({ 'x-forwarded-for': `${net}.${n}` })
  const plain = (fields: Record<string, string>) => new URLSearchParams(fields)
  const multipart = (fields: Record<string, string>) => {
    const form = new FormData()
    for (const [name, value] of Object.entries(fields)) form.append(name, value)
    form.append('files', new File([], '', { type: 'application/octet-stream' }))
    return form
  }
  return [
    {
      name: 'the ticket page reply (hourly customer-email limit)',
      message: /this workspace emailed \d+ customer addresses in the last hour/,
      attempts: 2,
      post: (via) => {
        const form = new FormData()
        for (const [name, value] of Object.entries({
          intent: 'reply',
          kind: 'reply',
          sendAnyway: '1',
          body: 'Thanks for waiting',
        })) {
          form.append(name, value)
        }
        form.append('files', new File([], '', { type: 'application/octet-stream' }))
        return postForm(via, `/w/${agent.workspace.slug}/tickets/${ticket.number}`, form, {
          cookie: agent.cookie,
        })
      },
    },
    {
      name: 'new workspace (workspaces per user per day)',
      message: /You created \d+ workspaces in the last 24 hours/,
      attempts: 20,
      post: (via) => {
        workspace += 1
        const slug = `retry-${workspace}-${creator.user.id.slice(-8)}`
        return postForm(via, '/workspaces/new', new URLSearchParams({ name: `Retry ${workspace}`, slug }), {
          cookie: creator.cookie,
        })
      },
    },
    {
      name: 'sign-in (failed attempts)',
      message: /Too many failed sign-in attempts/,
      attempts: 12,
      post: (via) => postForm(via, '/login', plain({ email: agent.user.email, password: 'not it' }), from(1)),
    },
    {
      name: 'signup (accounts per network)',
      message: /Too many accounts were created from your network/,
      attempts: 12,
      post: (via) => {
        signup += 1
        const fields = {
          name: 'Ada',
          email: `retry-${signup}-${creator.user.id.slice(-8)}@example.com`,
          password: PASSWORD,
          workspaceName: `Retry signup ${signup} ${creator.user.id.slice(-8)}`,
        }
        return postForm(via, '/signup', plain(fields), from(2))
      },
    },
    {
      name: 'signup through an invitation (accounts per network)',
      message: /Too many accounts were created from your network/,
      attempts: 1,
      // The network's accounts were spent by the signups above.
      post: (via) =>
        postForm(
          via,
          `/invite/${invitation.token}`,
          plain({ intent: 'signup', name: 'Ada', password: PASSWORD }),
          from(2),
        ),
    },
    {
      name: 'forgot password (reset requests)',
      message: /Too many reset requests/,
      attempts: 12,
      post: (via) => postForm(via, '/forgot-password', plain({ email: agent.user.email }), from(3)),
    },
    {
      name: 'reset password (new passwords per network)',
      message: /Too many attempts from your network/,
      attempts: 12,
      post: (via) =>
        postForm(via, '/reset-password/not-a-real-token', plain({ password: PASSWORD }), from(4)),
    },
    {
      name: 'account: change password',
      message: /Too many password changes/,
      attempts: 8,
      post: (via) =>
        postForm(
          via,
          `/w/${creator.workspace.slug}/account`,
          plain({ intent: 'password', currentPassword: 'not it', newPassword: `${PASSWORD} 2` }),
          { cookie: creator.cookie, ...from(5) },
        ),
    },
    {
      name: 'account: resend the confirmation link',
      message: /We sent several links recently/,
      attempts: 6,
      post: (via) =>
        postForm(via, `/w/${creator.workspace.slug}/account`, plain({ intent: 'resend-verification' }), {
          cookie: creator.cookie,
        }),
    },
    {
      name: 'invite a teammate (emails per address)',
      message: /invitation emails from this workspace in the last hour/,
      attempts: 6,
      post: (via) =>
        postForm(
          via,
          `/w/${creator.workspace.slug}/settings/members`,
          plain({ intent: 'invite', email: 'retry-invitee@example.com', role: 'agent' }),
          { cookie: creator.cookie },
        ),
    },
    {
      name: 'support form (requests per address)',
      message: /We have received several requests from you/,
      attempts: 8,
      post: (via) =>
        postForm(
          via,
          // An index route: its form's action says so, with JavaScript or without.
          `/support/${agent.workspace.slug}?index`,
          multipart({
            name: 'Cy',
            email: 'cy@example.com',
            subject: 'Help',
            message: `Please help ${Math.random()}`,
          }),
          from(6),
        ),
    },
    {
      name: 'customer link reply (replies per ticket)',
      message: /You have sent many replies in the last few minutes/,
      attempts: 24,
      post: (via) => postForm(via, linkPath, multipart({ message: `More detail ${Math.random()}` }), from(7)),
    },
  ]
}

describe('a form refused by a limit', () => {
  it('answers 429 with Retry-After with JavaScript (.data) and without (the refusal page), the same wait', async () => {
    for (const form of await refusableForms()) {
      let refused: Response | undefined
      const answered: number[] = []
      for (let i = 0; i < form.attempts && !refused; i++) {
        const response = await form.post('data')
        answered.push(response.status)
        if (response.status === 429) refused = response
        else await response.arrayBuffer()
      }
      expect(refused, `${form.name}: never refused (answers: ${answered.join(', ')})`).toBeDefined()
      expect(refused!.headers.get('content-type'), form.name).toMatch(/^text\/x-script/)
      expect(await refused!.text(), form.name).toMatch(form.message)
      const dataWait = Number(refused!.headers.get('retry-after'))
      expect.soft(dataWait, `${form.name} (.data)`).toBeGreaterThan(0)

      const page = await form.post('document')
      expect(page.status, form.name).toBe(429)
      expect(page.headers.get('content-type'), form.name).toMatch(/^text\/html/)
      expect(await page.text(), form.name).toMatch(form.message)
      const pageWait = Number(page.headers.get('retry-after'))
      expect.soft(pageWait, form.name).toBeGreaterThan(0)
      // The reply limit names when its slot frees, a second or so later than the .data's answer.
      expect.soft(Math.abs(pageWait - dataWait), form.name).toBeLessThanOrEqual(2)
    }
  })
})

describe('two copies of the login module in one process', () => {
  // This worker holds the source modules (callAction) and the production build (the server):
  // each has its own InvalidCredentials class. An authenticator shared through globalThis made by
  // one copy threw its class to the other's login route, and a wrong password was a 500 (CI run 1
  // of session 20: every sign-in of the test above answered 500 after another file's sign-ins).
  it('a wrong password is a 400 in both, whichever signed in first', async () => {
    const member = await createMember('agent')
    const form = new FormData()
    form.append('email', member.user.email)
    form.append('password', 'not it')
    const viaSource = await callAction(loginRoute, '/login', form, {})
    expect(viaSource.status).toBe(400)
    const viaBuild = await postDocument(
      '/login',
      new URLSearchParams({ email: member.user.email, password: 'not it' }),
      {
        'x-forwarded-for': `10.${Math.floor(Math.random() * 250) + 1}.0.9`,
      },
    )
    expect(viaBuild.status).toBe(400)
    await viaBuild.arrayBuffer()
  })
})
