import { describe, expect, it } from 'vitest'
import { describeActivity, type ActivityEntry } from '#app/utils/activity.ts'

const names: Record<string, string> = { u1: 'Dana', u2: 'Fox' }
const nameOf = (id: string) => names[id]
const say = (entry: Partial<ActivityEntry> & { action: string }) =>
  describeActivity({ data: {}, actorName: 'Dana', ...entry }, nameOf)

describe('describeActivity', () => {
  it('describes field changes with before and after', () => {
    expect(say({ action: 'ticket.status-changed', data: { before: 'open', after: 'pending' } })).toBe(
      'Dana changed status from open to pending',
    )
    expect(say({ action: 'ticket.priority-changed', data: { before: 'normal', after: 'urgent' } })).toBe(
      'Dana changed priority from normal to urgent',
    )
  })

  it('names assignees, former members and unassignment', () => {
    expect(say({ action: 'ticket.assigned-changed', data: { before: null, after: 'u2' } })).toBe(
      'Dana assigned the ticket to Fox',
    )
    expect(say({ action: 'ticket.assigned-changed', data: { before: null, after: 'gone' } })).toBe(
      'Dana assigned the ticket to a former member',
    )
    expect(say({ action: 'ticket.assigned-changed', data: { before: 'u2', after: null } })).toBe(
      'Dana unassigned the ticket (was Fox)',
    )
  })

  it('describes tags, messages and the customer', () => {
    expect(say({ action: 'ticket.tagged', data: { added: ['billing', 'vip'] } })).toBe(
      'Dana added tags billing, vip',
    )
    expect(say({ action: 'ticket.untagged', data: { removed: 'vip' } })).toBe('Dana removed tag vip')
    expect(say({ action: 'message.noted' })).toBe('Dana added an internal note')
    expect(
      say({ action: 'message.customer-replied', actorName: null, data: { reopenedFrom: 'resolved' } }),
    ).toBe('The customer replied, reopening the ticket (was resolved)')
    expect(say({ action: 'ticket.created', actorName: null })).toBe('The customer opened the ticket')
  })

  it('falls back to the action name for entries it does not know', () => {
    expect(say({ action: 'ticket.merged' })).toBe('Dana: ticket.merged')
  })
})
