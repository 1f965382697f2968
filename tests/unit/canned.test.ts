import { describe, expect, it } from 'vitest'
import {
  fillPlaceholders,
  insertAtSelection,
  unknownPlaceholders,
  type CannedContext,
} from '#app/utils/canned.ts'

const context: CannedContext = {
  customer: { name: 'Casey Jones', email: 'casey@example.net' },
  agent: { name: 'Dana Scully' },
  ticket: { number: 42, subject: 'Where is my kettle?' },
}

describe('fillPlaceholders', () => {
  it('replaces every supported placeholder', () => {
    const text = fillPlaceholders(
      'Hi {{customer.name}} ({{customer.email}}), about #{{ticket.number}} "{{ticket.subject}}". — {{agent.name}}',
      context,
    )
    expect(text).toBe('Hi Casey Jones (casey@example.net), about #42 "Where is my kettle?". — Dana Scully')
  })

  it('accepts spaces inside the braces and any letter case', () => {
    expect(fillPlaceholders('{{ Customer.Name }} / {{agent.name  }}', context)).toBe(
      'Casey Jones / Dana Scully',
    )
  })

  it('replaces a placeholder each time it appears', () => {
    expect(fillPlaceholders('{{ticket.number}}-{{ticket.number}}', context)).toBe('42-42')
  })

  it('leaves unknown placeholders as written', () => {
    expect(fillPlaceholders('Hello {{customer.phone}} {{foo}}', context)).toBe(
      'Hello {{customer.phone}} {{foo}}',
    )
  })

  it('addresses a customer without a name by their email', () => {
    const nameless = { ...context, customer: { name: '  ', email: 'anon@example.net' } }
    expect(fillPlaceholders('Hi {{customer.name}}', nameless)).toBe('Hi anon@example.net')
  })

  it('does not interpret replacement patterns in values', () => {
    const tricky = { ...context, ticket: { number: 1, subject: "$& $' $1" } }
    expect(fillPlaceholders('Re: {{ticket.subject}}', tricky)).toBe("Re: $& $' $1")
  })
})

describe('insertAtSelection', () => {
  it('fills an empty draft', () => {
    expect(insertAtSelection('', 'Thanks!')).toEqual({ value: 'Thanks!', caret: 7 })
  })

  it('appends on a new line at the end of a draft', () => {
    expect(insertAtSelection('Hello', 'Thanks!')).toEqual({ value: 'Hello\nThanks!', caret: 13 })
  })

  it('replaces the selected text, on its own line', () => {
    expect(insertAtSelection('Hello XX world', 'Thanks!', 6, 8)).toEqual({
      value: 'Hello \nThanks!\n world',
      caret: 14,
    })
  })

  it('clamps a selection outside the text', () => {
    expect(insertAtSelection('Hi', 'Yo', 10, 20)).toEqual({ value: 'Hi\nYo', caret: 5 })
  })
})

describe('unknownPlaceholders', () => {
  it('names each {{…}} that is not a placeholder once, as written, and accepts spaces and case in known ones', () => {
    expect(unknownPlaceholders('Hi {{ Customer.Name }}, #{{ticket.number}} {{agent.name  }}')).toEqual([])
    expect(
      unknownPlaceholders('{{bogus.placeholder}} {{foo}} {{bogus.placeholder}} {{}} {{constructor}}'),
    ).toEqual(['{{bogus.placeholder}}', '{{foo}}', '{{}}', '{{constructor}}'])
    expect(unknownPlaceholders('Plain text, {single} braces and } stray {{ ones')).toEqual([])
  })
})
