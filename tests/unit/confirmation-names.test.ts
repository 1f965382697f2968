import { expect, it } from 'vitest'
import { nameTickets } from '#app/utils/confirmation.ts'

it('names tickets by number, the first 10, then counts the rest', () => {
  const tickets = Array.from({ length: 13 }, (_, i) => ({ number: 40 - i, subject: `Subject ${40 - i}` }))
  expect(nameTickets(tickets)).toEqual([
    ...Array.from({ length: 10 }, (_, i) => `#${28 + i} Subject ${28 + i}`),
    'and 3 more',
  ])
  expect(
    nameTickets([
      { number: 7, subject: '' },
      { number: 2, subject: 'Refund' },
    ]),
  ).toEqual(['#2 Refund', '#7'])
  expect(nameTickets([])).toEqual([])
})
