import { describe, expect, test } from 'vitest'
import { mergeStored, sameValue } from '#app/utils/use-drawn-values.ts'

/** The fields of a form as the browser would post them. */
function typed(entries: Array<[string, string]>) {
  const data = new FormData()
  for (const [name, value] of entries) data.append(name, value)
  return data
}

describe('mergeStored: an edit form after a teammate saved under it', () => {
  const drawn = { name: 'Support', signature: 'Thanks' }

  test('a field left as drawn takes the stored value, written into the form', () => {
    const stored = { name: 'Customer care', signature: 'Thanks' }
    const { next, updates } = mergeStored(
      drawn,
      stored,
      typed([
        ['name', 'Support'],
        ['signature', 'Thanks'],
      ]),
    )
    expect(next).toEqual(stored)
    expect(updates).toEqual([{ name: 'name', value: 'Customer care' }])
  })

  test('a field edited here keeps the typing and its drawn value, so the save replaces the teammate’s', () => {
    const stored = { name: 'Customer care', signature: 'Cheers' }
    const { next, updates } = mergeStored(
      drawn,
      stored,
      typed([
        ['name', 'Support'],
        ['signature', 'Best'],
      ]),
    )
    expect(next).toEqual({ name: 'Customer care', signature: 'Thanks' })
    expect(updates).toEqual([{ name: 'name', value: 'Customer care' }])
  })

  test('a field edited to what the teammate saved counts as drawn with it; nothing to write', () => {
    const stored = { name: 'Support', signature: 'Cheers' }
    const { next, updates } = mergeStored(
      drawn,
      stored,
      typed([
        ['name', 'Support'],
        ['signature', 'Cheers '],
      ]),
    )
    expect(next).toEqual(stored)
    expect(updates).toEqual([])
  })

  test('nothing changed under the form: nothing moves, whatever was typed', () => {
    const { next, updates } = mergeStored(
      drawn,
      drawn,
      typed([
        ['name', 'Typed'],
        ['signature', ''],
      ]),
    )
    expect(next).toEqual(drawn)
    expect(updates).toEqual([])
  })

  test('an unticked box is the empty value', () => {
    const box = { enabled: '', text: 'Hi' }
    const { next, updates } = mergeStored(box, { enabled: 'on', text: 'Hi' }, typed([['text', 'Hi']]))
    expect(next).toEqual({ enabled: 'on', text: 'Hi' })
    expect(updates).toEqual([{ name: 'enabled', value: 'on' }])
  })

  test('a group of boxes merges box by box', () => {
    const events = { events: ['ticket.created'] }
    // Ticked here: ticket.updated. The teammate ticked message.created and unticked ticket.created.
    const { next, updates } = mergeStored(
      events,
      { events: ['message.created'] },
      typed([
        ['events', 'ticket.created'],
        ['events', 'ticket.updated'],
      ]),
    )
    expect(next).toEqual({ events: ['message.created'] })
    expect(updates).toEqual([{ name: 'events', value: ['message.created', 'ticket.updated'] }])
  })

  test('a box unticked here and by the teammate stays unticked, with nothing to write', () => {
    const { next, updates } = mergeStored({ events: ['a', 'b'] }, { events: ['b'] }, typed([['events', 'b']]))
    expect(next).toEqual({ events: ['b'] })
    expect(updates).toEqual([])
  })

  test('drawn anew (after its own save): every field that differs from what is stored is written', () => {
    const stored = { name: 'Customer care', signature: 'Best', events: ['a'] }
    const { next, updates } = mergeStored(
      null,
      stored,
      typed([
        ['name', 'Support'],
        ['signature', 'Best'],
        ['events', 'b'],
      ]),
    )
    expect(next).toEqual(stored)
    expect(updates).toEqual([
      { name: 'name', value: 'Customer care' },
      { name: 'events', value: ['a'] },
    ])
  })
})

describe('sameValue: equal as saved', () => {
  test('line breaks and surrounding space do not count', () => {
    expect(sameValue('Best,\r\nthe team ', 'Best,\nthe team')).toBe(true)
    expect(sameValue('Best', 'best')).toBe(false)
    expect(sameValue(undefined, '')).toBe(true)
  })

  test('a list is a set', () => {
    expect(sameValue(['a', 'b'], ['b', 'a'])).toBe(true)
    expect(sameValue(['a'], ['a', 'b'])).toBe(false)
    expect(sameValue([], '')).toBe(true)
    expect(sameValue(['a'], 'a')).toBe(true)
  })
})

describe('mergeStored with asSaved: a form whose own save is told by what it typed', () => {
  const asSaved = (values: { zone: string }) => ({
    zone: values.zone.toLowerCase() === 'europe/oslo' ? 'Europe/Oslo' : values.zone,
  })

  test('a field typed as the action stores it otherwise counts as saved, and shows the stored form', () => {
    const { next, updates } = mergeStored(
      { zone: '' },
      { zone: 'Europe/Oslo' },
      typed([['zone', 'europe/oslo']]),
      asSaved,
    )
    expect(next).toEqual({ zone: 'Europe/Oslo' })
    expect(updates).toEqual([{ name: 'zone', value: 'Europe/Oslo' }])
  })

  test('a field typed to something else still keeps the typing', () => {
    const { next, updates } = mergeStored(
      { zone: '' },
      { zone: 'Europe/Oslo' },
      typed([['zone', 'Asia/Tokyo']]),
      asSaved,
    )
    expect(next).toEqual({ zone: '' })
    expect(updates).toEqual([])
  })
})
