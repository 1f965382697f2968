import { getApiMessage, listMessagesPage } from '#app/domain/api-resources.server.ts'
import { replyToTicket } from '#app/domain/messages.server.ts'
import { operation } from './operation.server.ts'
import { pageResponse } from './pagination.server.ts'
import { emailLimitProblem, problem } from './problem.server.ts'
import {
  CreateMessageBody,
  LimitProblem,
  Message,
  MessageList,
  PageQuery,
  ReplyConflictProblem,
  TicketNumberParams,
} from './schemas.server.ts'
import { messageJson } from '#app/domain/serializers.server.ts'
import { noSuchTicket } from './tickets.server.ts'

export const listMessages = operation({
  operationId: 'listMessages',
  method: 'GET',
  path: '/tickets/{number}/messages',
  summary: 'List a ticket’s messages, oldest first (notes included)',
  tag: 'Messages',
  scope: 'tickets:read',
  params: TicketNumberParams,
  query: PageQuery,
  response: { status: 200, description: 'A page of the thread', schema: MessageList, headers: ['Link'] },
  errors: { 404: 'No ticket with this number in the workspace (`not-found`)' },
  async handle({ principal, params, query, url }) {
    const result = await listMessagesPage(principal, params.number, query.cursor, query.limit)
    if (result.kind === 'not-found') throw noSuchTicket(params.number)
    return pageResponse(url, result, messageJson)
  },
})

export const createMessage = operation({
  operationId: 'createMessage',
  method: 'POST',
  path: '/tickets/{number}/messages',
  summary: 'Reply to the customer (emailed) or add an internal note',
  tag: 'Messages',
  scope: 'tickets:write',
  params: TicketNumberParams,
  body: CreateMessageBody,
  response: {
    status: 201,
    description: 'The new message',
    schema: Message,
    headers: ['Location'],
  },
  errors: {
    404: 'No ticket with this number in the workspace (`not-found`)',
    409: {
      description:
        'someone wrote on the ticket since `last_seen_message_id` (`conflict`, a collision: `newer_messages` and `newer_count` say what); nothing was sent',
      schema: ReplyConflictProblem,
    },
    422: '`last_seen_message_id` is not a message of this ticket (`unprocessable`, `errors` on it); nothing was sent',
    429: {
      description:
        'a reply when the workspace’s customer emails for the hour are used up (`email-limit`, with `limit` and `retry_after`)',
      schema: LimitProblem,
    },
  },
  async handle({ principal, params, body, publish }) {
    const outcome = await replyToTicket(principal, params.number, {
      kind: body.kind,
      body: body.body,
      status: body.status,
      lastSeenMessageId: body.last_seen_message_id,
    })
    if (outcome.kind === 'not-found') throw noSuchTicket(params.number)
    if (outcome.kind === 'collision' && outcome.lastSeenUnknown) {
      throw problem(
        'unprocessable',
        'last_seen_message_id is not a message of this ticket; nothing was sent.',
        {
          extensions: {
            errors: [{ field: 'last_seen_message_id', message: 'Not a message of this ticket' }],
          },
        },
      )
    }
    if (outcome.kind === 'collision') {
      throw problem(
        'conflict',
        'Someone wrote on this ticket since last_seen_message_id; nothing was sent.',
        {
          extensions: {
            // The newest 20; `newer_count` counts them all.
            newer_count: outcome.newer.length + outcome.notShown,
            newer_messages: outcome.newer.map((m) => ({
              id: m.id,
              kind: m.kind,
              author: m.author,
              created_at: m.createdAt.toISOString(),
              // A reply in its sender's undo window: not sent yet, may still be undone.
              sending: m.sending,
              // As on every message object: false for an email from someone not on the ticket.
              from_participant: m.fromParticipant,
            })),
          },
        },
      )
    }
    // Only the ticket page sends kept files (an undone reply's): the API never meets this.
    if (outcome.kind === 'files-over-limit') throw new Error(outcome.message)
    if (outcome.kind === 'email-limit') throw emailLimitProblem(outcome)
    publish(outcome.events)
    const message = await getApiMessage(principal, params.number, outcome.messageId)
    if (!message) throw new Error('The new message is missing')
    return {
      body: messageJson(message),
      headers: { location: `/api/v1/tickets/${params.number}/messages` },
    }
  },
})
