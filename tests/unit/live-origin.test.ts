import { describe, expect, it } from 'vitest'
import { changesTicket } from '#app/components/live/use-live-events.ts'
import type { TicketEvent } from '#app/realtime/events.ts'
import { exceptPostingSocket, LIVE_SOCKET_FIELD } from '#app/realtime/protocol.ts'

const form = (value?: string) => {
  const data = new FormData()
  if (value !== undefined) data.append(LIVE_SOCKET_FIELD, value)
  return data
}

describe('exceptPostingSocket', () => {
  it('skips the posting socket when the form names one', () => {
    expect(exceptPostingSocket(form('Xk3_aZ09-bcdEFGhijkl'))).toEqual({
      exceptSocketId: 'Xk3_aZ09-bcdEFGhijkl',
    })
  })

  it('skips nothing without the field (no JavaScript) or with something that is not a socket id', () => {
    expect(exceptPostingSocket(form())).toEqual({})
    expect(exceptPostingSocket(form(''))).toEqual({})
    expect(exceptPostingSocket(form('workspace:0198c0de-0000-7000-8000-000000000000'))).toEqual({})
    expect(exceptPostingSocket(form('x'.repeat(65)))).toEqual({})
  })
})

describe('changesTicket', () => {
  const base = { workspaceId: 'w', ticketId: 't1', number: 1, at: '2026-01-01T00:00:00.000Z' }
  const mine: TicketEvent = {
    ...base,
    type: 'message.created',
    messageId: 'm',
    kind: 'reply',
    fromCustomer: false,
    actorUserId: 'me',
  }

  it('matches this ticket’s changes whoever made them, the viewing agent included', () => {
    expect(changesTicket('t1')(mine)).toBe(true)
    expect(changesTicket('t1')({ ...base, type: 'ticket.updated', changes: {}, actorUserId: 'me' })).toBe(
      true,
    )
  })

  it('ignores other tickets and ticket creation', () => {
    expect(changesTicket('t2')(mine)).toBe(false)
    expect(changesTicket('t1')({ ...base, type: 'ticket.created' })).toBe(false)
  })
})
