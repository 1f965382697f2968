import { describe, expect, it } from 'vitest'
import { describeLeft } from '#app/components/queue/bulk-toolbar.tsx'
import { queueKeyOf } from '#app/utils/last-queue.ts'

describe('queueKeyOf', () => {
  it('names a queue the same however its query string was written', () => {
    // The location's search, a row link's `from`, and `…/beside/…`'s re-encoding.
    expect(queueKeyOf('?view=all&q=two%20words')).toBe(queueKeyOf('view=all&q=two+words'))
    expect(queueKeyOf('?view=all&bulk=abc&sent=def')).toBe(queueKeyOf('view=all'))
    expect(queueKeyOf('')).toBe('')
    expect(queueKeyOf('view=all&after=x')).not.toBe(queueKeyOf('view=all'))
  })
})

describe('describeLeft', () => {
  const members = [
    { userId: 'u-me', name: 'Lee Owner' },
    { userId: 'u-sam', name: 'Sam Rivera' },
  ]
  const say = (changes: Record<string, unknown> | null) =>
    describeLeft({ number: 302, changes }, members, 'u-me')

  it('names the assignee or status a live change set', () => {
    expect(say({ assigneeId: 'u-sam' })).toBe('#302 left your selection: assigned to Sam Rivera')
    expect(say({ assigneeId: 'u-me' })).toBe('#302 left your selection: assigned to you')
    expect(say({ assigneeId: null })).toBe('#302 left your selection: unassigned')
    expect(say({ status: 'resolved' })).toBe('#302 left your selection: status set to Resolved')
  })

  it('says only that it no longer matches when the page cannot tell why', () => {
    const unknown = '#302 no longer matches this view and left your selection'
    expect(say(null)).toBe(unknown)
    expect(say({ tagRemoved: 'vip' })).toBe(unknown)
    expect(say({ assigneeId: 'u-gone' })).toBe(unknown)
    expect(say({ status: 'bogus' })).toBe(unknown)
  })
})
