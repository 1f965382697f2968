import { createElement, Fragment } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { getInputProps, getTextareaProps, useForm, type SubmissionResult } from '@conform-to/react'
import { describe, expect, it } from 'vitest'

/**
 * patches/@conform-to+react+*.patch: a field's metadata is built once per form state instead of
 * on every property read. What the helpers give a form control must not change: ids, names,
 * constraints, the typed value and the error wiring, with and without a server's answer.
 */
function ReplyForm({ lastResult }: { lastResult?: SubmissionResult<string[]> }) {
  const [, fields] = useForm({
    id: 'reply',
    lastResult,
    defaultValue: { cc: 'ana@example.com', body: '' },
    constraint: { body: { required: true, maxLength: 100 }, cc: { maxLength: 50 } },
  })
  const body = fields.body
  return createElement(
    Fragment,
    null,
    createElement('label', { htmlFor: body.id }, 'Reply'),
    createElement('textarea', getTextareaProps(body)),
    createElement('p', { id: body.errorId }, body.errors?.join(' ')),
    createElement('input', getInputProps(fields.cc, { type: 'text' })),
  )
}

describe('Conform field metadata (patched)', () => {
  it('gives each control its id, name, constraints and default value', () => {
    const html = renderToStaticMarkup(createElement(ReplyForm))
    expect(html).toContain('<label for="reply-body">Reply</label>')
    expect(html).toContain(
      '<textarea required="" id="reply-body" name="body" form="reply" maxLength="100"></textarea>',
    )
    expect(html).toContain(
      '<input id="reply-cc" name="cc" form="reply" type="text" maxLength="50" value="ana@example.com"/>',
    )
    expect(html).not.toContain('aria-invalid')
  })

  it("shows a server's errors on the field it names, keeping what was typed", () => {
    const lastResult: SubmissionResult<string[]> = {
      status: 'error',
      initialValue: { body: 'typed text', cc: 'not an address' },
      error: { cc: ['Enter email addresses separated by commas'] },
    }
    const html = renderToStaticMarkup(createElement(ReplyForm, { lastResult }))
    expect(html).toContain(
      '<input id="reply-cc" name="cc" form="reply" aria-invalid="true" aria-describedby="reply-cc-error" type="text" maxLength="50" value="not an address"/>',
    )
    expect(html).toContain('>typed text</textarea>')
    expect(html).toContain('<p id="reply-body-error"></p>')
    expect(html).not.toContain('reply-body" name="body" form="reply" aria-invalid')
  })
})
