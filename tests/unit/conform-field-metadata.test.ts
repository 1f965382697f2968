import path from 'node:path'
import { pathToFileURL } from 'node:url'
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

describe('Conform field metadata (patched): a field kept across state changes', () => {
  // The patch builds a field's metadata once per form state and id. Within one render each read
  // goes through a fresh proxy, so only a proxy kept longer (a callback, an effect) sees the form
  // change under it: it must then read the new state, not the one it cached.
  it("reads the new errors after a server's answer, and the new id after the form id changes", async () => {
    const { unstable_createFormContext: createFormContext } = await import('@conform-to/dom')
    // Not in the package's exports: the patched file itself, by path.
    const contextModule = pathToFileURL(path.resolve('node_modules/@conform-to/react/dist/context.mjs')).href
    const { getFieldMetadata, getFormMetadata } = (await import(contextModule)) as {
      getFieldMetadata: (...args: unknown[]) => Record<string, unknown>
      getFormMetadata: (...args: unknown[]) => Record<string, unknown>
    }
    // Two real form states (before and after a server's answer); the context hands out one, then
    // the other, as useForm's context does after onUpdate (which needs a DOM to run here).
    const before = createFormContext({ formId: 'reply', defaultValue: { body: 'draft' } } as never)
    const after = createFormContext({
      formId: 'reply',
      defaultValue: { body: 'draft' },
      lastResult: {
        status: 'error',
        initialValue: { body: '' },
        error: { body: ['Type a reply'] },
        state: { validated: { body: true } },
      },
    } as never)
    let current = before
    let formId = 'reply'
    const form = { ...before, getState: () => current.getState(), getFormId: () => formId }
    const subjectRef = { current: {} }
    const body = getFieldMetadata(form, subjectRef, form.getState(), 'body')
    const whole = getFormMetadata(form, subjectRef, form.getState(), false)
    expect(body.id).toBe('reply-body')
    expect(body.errors).toBeUndefined()
    expect(body.initialValue).toBe('draft')
    expect(whole.valid).toBe(true)

    current = after
    expect(body.errors).toEqual(['Type a reply'])
    expect(body.valid).toBe(false)
    expect(whole.valid).toBe(false)

    formId = 'reply-2'
    expect(body.id).toBe('reply-2-body')
    expect(body.errorId).toBe('reply-2-body-error')
  })
})
