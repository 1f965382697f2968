import { eq } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import {
  apiTokens,
  auditEvents,
  cannedResponses,
  invitations,
  mailboxes,
  memberships,
  notifications,
  tickets,
  webhookEndpoints,
} from '#db/schema.ts'
import { UNKNOWN_INTENT_MESSAGE } from '#app/http/form-data.server.ts'
import { startQueue } from '#app/jobs/queue.server.ts'
import * as accountRoute from '#app/routes/account.tsx'
import * as homeRoute from '#app/routes/w.$slug._index.tsx'
import * as customerRoute from '#app/routes/w.$slug.customers.$id.tsx'
import * as notificationsRoute from '#app/routes/w.$slug.notifications.tsx'
import * as apiTokensRoute from '#app/routes/w.$slug.settings.api-tokens.tsx'
import * as cannedRoute from '#app/routes/w.$slug.settings.canned-responses.tsx'
import * as mailboxesRoute from '#app/routes/w.$slug.settings.mailboxes.tsx'
import * as membersRoute from '#app/routes/w.$slug.settings.members.tsx'
import * as webhooksRoute from '#app/routes/w.$slug.settings.webhooks.tsx'
import * as inboxRoute from '#app/routes/w.$slug.tickets._index.tsx'
import { createMember, createTicketFor, type TestMember } from '#tests/helpers/factories.ts'
import { rowCounts } from '#tests/helpers/db-reads.ts'
import { callAction } from '#tests/helpers/routes.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'
import { errorsNoControlShows } from '#app/utils/unshown-errors.ts'

let owner: TestMember
let contactId: string

beforeAll(async () => {
  await startQueue(testDatabaseUrl, { listen: false })
  owner = await createMember('owner')
  const ticket = await createTicketFor(owner)
  const [row] = await getDb()
    .select({ contactId: tickets.contactId })
    .from(tickets)
    .where(eq(tickets.id, ticket.ticketId))
  contactId = row.contactId
})

/** What a refused post must leave as it was. */
const watched = {
  apiTokens,
  auditEvents,
  cannedResponses,
  invitations,
  mailboxes,
  memberships,
  notifications,
  tickets,
  webhookEndpoints,
}

type Route = Parameters<typeof callAction>[0]

const pages: Array<[string, Route, (slug: string) => string, Record<string, string>?]> = [
  ['account', accountRoute, (slug) => `/w/${slug}/account`],
  ['home', homeRoute, (slug) => `/w/${slug}`],
  ['customer', customerRoute, (slug) => `/w/${slug}/customers/${contactId}`, { id: '' }],
  ['notifications', notificationsRoute, (slug) => `/w/${slug}/notifications`],
  ['API tokens', apiTokensRoute, (slug) => `/w/${slug}/settings/api-tokens`],
  ['canned responses', cannedRoute, (slug) => `/w/${slug}/settings/canned-responses`],
  ['mailboxes', mailboxesRoute, (slug) => `/w/${slug}/settings/mailboxes`],
  ['members', membersRoute, (slug) => `/w/${slug}/settings/members`],
  ['webhooks', webhooksRoute, (slug) => `/w/${slug}/settings/webhooks`],
  ['inbox', inboxRoute, (slug) => `/w/${slug}/tickets`],
]

/** The message a page shows at its top or on its form: the form's own error, or a notice. */
function pageMessages(data: any): string[] {
  if (typeof data?.error === 'string') return [data.error]
  return errorsNoControlShows(data?.result) ?? []
}

describe('an unknown intent', () => {
  it.each(pages)(
    'on the %s page is a 400 with a form-level message the page shows, and changes nothing',
    async (_, route, path, extraParams) => {
      for (const intent of ['bogus', 'constructor', '__proto__']) {
        const before = await rowCounts(watched)
        const params = { slug: owner.workspace.slug, ...(extraParams?.id === '' ? { id: contactId } : {}) }
        const result = await callAction(
          route,
          path(owner.workspace.slug),
          { intent, name: 'Typed' },
          {
            cookie: owner.cookie,
            params,
          },
        )
        expect(result.status, intent).toBe(400)
        expect(pageMessages(result.data), intent).toEqual([UNKNOWN_INTENT_MESSAGE])
        expect(await rowCounts(watched)).toEqual(before)
      }
    },
  )
})

describe('hand-edited values', () => {
  it('a bulk assignee that is not on the list gets a human message on the Assign control', async () => {
    const ticket = await createTicketFor(owner)
    const before = await rowCounts(watched)
    const result = await callAction(
      inboxRoute,
      `/w/${owner.workspace.slug}/tickets`,
      [
        ['intent', 'bulk'],
        ['operation', 'assign'],
        ['assignee', 'not-a-uuid'],
        ['ticketIds', ticket.ticketId],
      ],
      { cookie: owner.cookie, params: { slug: owner.workspace.slug } },
    )
    expect(result.status).toBe(400)
    expect(result.data.result.error).toEqual({ assignee: ['Choose a teammate from the list'] })
    expect(await rowCounts(watched)).toEqual(before)
  })
})
