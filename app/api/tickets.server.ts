import { getApiTicket, listTicketsPage, updateApiTicket } from '#app/domain/api-resources.server.ts'
import { createTicket } from '#app/domain/tickets.server.ts'
import { operation } from './operation.server.ts'
import { jsonPageResponse } from './pagination.server.ts'
import { problem } from './problem.server.ts'
import {
  CreateTicketBody,
  Ticket,
  TicketList,
  TicketListQuery,
  TicketNumberParams,
  UpdateTicketBody,
} from './schemas.server.ts'
import { ticketJson } from '#app/domain/serializers.server.ts'
import type { ApiPrincipal } from './auth.server.ts'

/** The 404 for a ticket number the workspace does not have. */
export function noSuchTicket(number: number) {
  return problem('not-found', `No ticket #${number} in this workspace.`)
}

async function ticketOr404(principal: ApiPrincipal, number: number) {
  const ticket = await getApiTicket(principal, number)
  if (!ticket) throw noSuchTicket(number)
  return ticketJson(ticket)
}

export const listTickets = operation({
  operationId: 'listTickets',
  method: 'GET',
  path: '/tickets',
  summary: 'List tickets, newest first',
  tag: 'Tickets',
  scope: 'tickets:read',
  query: TicketListQuery,
  response: { status: 200, description: 'A page of tickets', schema: TicketList, headers: ['Link'] },
  async handle({ principal, query, url }) {
    const page = await listTicketsPage(
      principal,
      {
        status: query.status,
        priority: query.priority,
        assigneeId: query.assignee,
        mailboxId: query.mailbox,
        tagId: query.tag,
        updatedSince: query.updated_since,
        changedAfter: query.changed_after,
        q: query.q,
      },
      query.cursor,
      query.limit,
    )
    if (page.kind === 'invalid-changed-after') {
      throw problem(
        'invalid-cursor',
        'changed_after is not one this list gave out (next_changed_after). Start again without it.',
      )
    }
    return jsonPageResponse(url, page)
  },
})

export const createTicketOp = operation({
  operationId: 'createTicket',
  method: 'POST',
  path: '/tickets',
  summary: 'Open a ticket with the customer’s first message',
  tag: 'Tickets',
  scope: 'tickets:write',
  body: CreateTicketBody,
  response: { status: 201, description: 'The new ticket', schema: Ticket, headers: ['Location'] },
  errors: {
    422: '`mailbox_id` is not an active mailbox of this workspace, or it has none (`unprocessable`)',
  },
  async handle({ principal, body, publish }) {
    // Without mailbox_id, createTicket takes the oldest active mailbox in its own transaction.
    const outcome = await createTicket(
      { workspaceId: principal.workspaceId, userId: principal.userId },
      {
        mailboxId: body.mailbox_id,
        customerEmail: body.customer.email,
        customerName: body.customer.name ?? '',
        subject: body.subject,
        body: body.body,
        channel: 'api',
      },
    )
    if (outcome.kind === 'unknown-mailbox') {
      if (body.mailbox_id === undefined)
        throw problem('unprocessable', 'The workspace has no active mailbox.')
      throw problem('unprocessable', 'mailbox_id is not an active mailbox of this workspace.', {
        extensions: { errors: [{ field: 'mailbox_id', message: 'Unknown or archived mailbox' }] },
      })
    }
    publish(outcome.events)
    return {
      // Built from what the transaction wrote (a new ticket has no assignee and no tags yet).
      body: ticketJson(outcome.ticket),
      headers: { location: `/api/v1/tickets/${outcome.number}` },
    }
  },
})

export const getTicket = operation({
  operationId: 'getTicket',
  method: 'GET',
  path: '/tickets/{number}',
  summary: 'Get a ticket',
  tag: 'Tickets',
  scope: 'tickets:read',
  params: TicketNumberParams,
  response: { status: 200, description: 'The ticket', schema: Ticket },
  errors: { 404: 'No ticket with this number in the workspace (`not-found`)' },
  async handle({ principal, params }) {
    return { body: await ticketOr404(principal, params.number) }
  },
})

export const updateTicket = operation({
  operationId: 'updateTicket',
  method: 'PATCH',
  path: '/tickets/{number}',
  summary: 'Change a ticket’s subject, status, priority, assignee or tags',
  tag: 'Tickets',
  scope: 'tickets:write',
  params: TicketNumberParams,
  body: UpdateTicketBody,
  response: { status: 200, description: 'The ticket after the change', schema: Ticket },
  errors: {
    404: 'No ticket with this number in the workspace (`not-found`)',
    422: '`assignee_id` is not a member of this workspace (`unprocessable`, `errors` on it); nothing changed',
  },
  async handle({ principal, params, body, publish }) {
    const outcome = await updateApiTicket(principal, params.number, {
      subject: body.subject,
      status: body.status,
      priority: body.priority,
      assigneeId: body.assignee_id,
      tags: body.tags,
    })
    if (outcome.kind === 'not-found') throw noSuchTicket(params.number)
    if (outcome.kind === 'unknown-assignee') {
      throw problem('unprocessable', 'assignee_id is not a member of this workspace.', {
        extensions: { errors: [{ field: 'assignee_id', message: 'Not a member of this workspace' }] },
      })
    }
    publish(outcome.events)
    return { body: await ticketOr404(principal, params.number) }
  },
})
