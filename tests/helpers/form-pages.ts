import { eq } from 'drizzle-orm'
import { getDb } from '#db/client.ts'
import { tickets } from '#db/schema.ts'
import { createInvitation, createMember, createTicketFor } from './factories.ts'

/**
 * An owner with a ticket and an invitation, and the pages whose forms the form-wide tests post:
 * `signedIn` with the owner's cookie, `signedOut` without one (the customer's private link and an
 * invitation's page among them). A new page with forms goes here.
 */
export async function pagesWithForms() {
  const owner = await createMember('owner')
  const ticket = await createTicketFor(owner)
  const [row] = await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId))
  const s = owner.workspace.slug
  const invitation = await createInvitation(owner)
  const signedIn = [
    `/w/${s}`,
    `/w/${s}/tickets`,
    `/w/${s}/tickets/${ticket.number}`,
    `/w/${s}/tickets/new`,
    `/w/${s}/customers`,
    `/w/${s}/customers/${row!.contactId}`,
    `/w/${s}/notifications`,
    `/w/${s}/account`,
    `/w/${s}/settings`,
    `/w/${s}/settings/ai`,
    `/w/${s}/settings/api-tokens`,
    `/w/${s}/settings/canned-responses`,
    `/w/${s}/settings/mailboxes`,
    `/w/${s}/settings/members`,
    `/w/${s}/settings/webhooks`,
    '/workspaces/new',
  ]
  const signedOut = [
    '/signup',
    '/login',
    '/forgot-password',
    `/support/${s}`,
    new URL(ticket.customerLink).pathname,
    `/invite/${invitation.token}`,
  ]
  return { owner, ticket, signedIn, signedOut }
}
