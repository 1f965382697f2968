import type { Element } from 'domhandler'
import * as domutils from 'domutils'
import { parseDocument } from 'htmlparser2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { pagesWithForms } from '#tests/helpers/form-pages.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Every one-line text field of every form carries the `maxlength` of the schema that parses it
// (one constant for both): without JavaScript a field with no limit let any length through, and
// a post over the body limit lost the whole form (SHORT_FORM_BYTES for sign-in and signup, 1 MB
// for the rest). Multi-line fields (a reply, a canned response, a mailbox's signature) are left
// without one where a paste cut short without a word would go unnoticed: their schema's message
// is shown by the field instead, and the post keeps the text.

let server: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  await startQueue(testDatabaseUrl)
  server = await startTestServer({ sockets: false })
})
afterAll(async () => {
  await server?.close()
  await stopQueue()
})

/** A schema's message about a length. */
const TOO_LONG = /too long|at most \d/i

/** The one-line text fields a person types into: what `maxlength` applies to. */
const TEXT_TYPES = new Set(['', 'text', 'email', 'password', 'url', 'search', 'tel'])

type TextField = { page: string; form: Element; field: Element; name: string }

function textFieldsOf(html: string, page: string): TextField[] {
  const doc = parseDocument(html)
  const out: TextField[] = []
  for (const form of domutils.findAll((e) => e.name === 'form', doc.children)) {
    for (const field of domutils.findAll((e) => e.name === 'input', form.children)) {
      const type = (field.attribs.type ?? '').toLowerCase()
      if (!TEXT_TYPES.has(type) || 'readonly' in field.attribs || !field.attribs.name) continue
      // The support form's trap for bots ("Leave this empty"): no person types into it.
      if (field.attribs.name === 'website') continue
      out.push({ page, form, field, name: field.attribs.name })
    }
  }
  return out
}

/** One emoji: two UTF-16 code units, one code point, four UTF-8 bytes. */
const EMOJI = '\u{1F600}'

/**
 * A valid value of exactly `length` characters for a field of this type; `emoji`: of text fields,
 * made of emoji (and a letter when `length` is odd), `length` UTF-16 code units as the browser
 * counts them for `maxlength`.
 */
function longestValue(type: string, length: number, emoji = false) {
  const letters = (n: number) => 'abcdefghij'.repeat(Math.ceil(n / 10)).slice(0, n)
  if (emoji) return EMOJI.repeat(Math.floor(length / 2)) + letters(length % 2)
  if (type === 'url') return `https://e.co/${letters(length - 13)}`
  if (type !== 'email') return letters(length)
  // A local part of 64 and a domain of labels of at most 60 (an address's own limits).
  let domain = 'example.com'
  while (64 + 1 + domain.length + 2 <= length) {
    domain = `${letters(Math.min(60, length - 64 - 1 - domain.length - 1))}.${domain}`
  }
  return `${letters(64)}@${domain}`
}

/** The form posted with every control as served, and `name` at its longest allowed value. */
function longestPost(form: Element, name: string, value: string) {
  const fields = new URLSearchParams()
  for (const c of domutils.findAll((e) => ['input', 'select', 'textarea'].includes(e.name), form.children)) {
    const field = c.attribs.name
    const type = (c.attribs.type ?? '').toLowerCase()
    if (!field || type === 'file' || type === 'submit') continue
    if ((type === 'checkbox' || type === 'radio') && !('checked' in c.attribs)) continue
    if (field === name) fields.append(field, value)
    else if (c.name === 'select') {
      const option = domutils.findAll((e) => e.name === 'option', c.children).find((o) => o.attribs.value)
      fields.append(field, option?.attribs.value ?? '')
    } else if (c.name === 'textarea') fields.append(field, domutils.textContent(c))
    else fields.append(field, c.attribs.value ?? '')
  }
  for (const button of domutils.findAll(
    (e) => e.name === 'button' && Boolean(e.attribs.name),
    form.children,
  )) {
    fields.append(button.attribs.name!, button.attribs.value ?? '')
    break
  }
  return fields
}

describe('text field limits', () => {
  it('gives every one-line text field of every form a maxlength its schema accepts', async () => {
    const { owner, signedIn, signedOut } = await pagesWithForms()
    const pages = [
      ...signedIn.map((p): [string, string] => [p, owner.cookie]),
      ...signedOut.map((p): [string, string] => [p, '']),
    ]
    const missing: string[] = []
    const refused: string[] = []
    const accepted: string[] = []
    const miscounted: string[] = []
    let checked = 0
    let posts = 0
    for (const [page, cookie] of pages) {
      const html = await (await fetch(server.url + page, { headers: { cookie } })).text()
      for (const { form, field, name } of textFieldsOf(html, page)) {
        // GET forms (searches, filters) have their own bounds in the loader; sign-out has no fields.
        if ((form.attribs.method ?? 'get').toLowerCase() !== 'post') continue
        const max = Number(field.attribs.maxlength)
        if (!(max > 0)) {
          missing.push(`${page} ${name}`)
          continue
        }
        checked++
        const type = (field.attribs.type ?? '').toLowerCase()
        const post = async (value: string) => {
          const response = await fetch(server.url + (form.attribs.action ?? page), {
            method: 'POST',
            body: longestPost(form, name, value),
            headers: { cookie, origin: server.url, 'x-forwarded-for': `198.51.100.${(posts++ % 250) + 1}` },
            redirect: 'manual',
          })
          // Its message, if the answer has one (Conform's `<id>-error`), and the value it shows.
          const answer = parseDocument(await response.text())
          const byId = (id: string) => domutils.findOne((e) => e.attribs.id === id, answer.children)
          // The field itself, or one of its name where the answer is another page's (the ticket's
          // customer card posts to the customer page, which answers with its own form).
          const candidates = [
            byId(field.attribs.id!),
            ...domutils.findAll((e) => e.name === 'input' && e.attribs.name === name, answer.children),
          ].filter((e): e is Element => Boolean(e?.attribs.id))
          const messageOf = (e: Element) => {
            const error = byId(`${e.attribs.id}-error`)
            return error ? domutils.textContent(error).trim() : ''
          }
          const shown = candidates.find((e) => messageOf(e)) ?? candidates[0]
          return {
            status: response.status,
            message: shown ? messageOf(shown) : '',
            shown: shown?.attribs.value,
          }
        }
        // The longest value the field takes is one the schema takes (no "too long" by it)…
        const atMax = await post(longestValue(type, max))
        if (atMax.status === 413 || TOO_LONG.test(atMax.message)) {
          refused.push(`${page} ${name} (maxlength ${max}): ${atMax.status} ${atMax.message}`)
        }
        // …and one more character is what it refuses, with its message by the field and the
        // typing kept: the schema's limit is the field's, not a larger one.
        const over = longestValue(type, max + 1)
        if (over.length > max) {
          const answer = await post(over)
          if (!answer.message || (type !== 'password' && answer.shown !== over)) {
            accepted.push(
              `${page} ${name} (maxlength ${max}): ${answer.status} "${answer.message}" shows ${answer.shown?.length}`,
            )
          }
        }
        // Counted as the browser counts (UTF-16 code units): emoji up to `maxlength` are taken,
        // one more refused (a count in code points or bytes would differ).
        if (type === 'text' || type === '') {
          const emojiAtMax = await post(longestValue(type, max, true))
          const emojiOver = await post(longestValue(type, max + 2, true))
          // (A field that takes no emoji at all, an address or a slug, says so at either length.)
          const takesEmoji = !emojiAtMax.message || TOO_LONG.test(emojiAtMax.message)
          if (takesEmoji && (TOO_LONG.test(emojiAtMax.message) || !TOO_LONG.test(emojiOver.message))) {
            miscounted.push(
              `${page} ${name} (maxlength ${max}): "${emojiAtMax.message}" / "${emojiOver.message}"`,
            )
          }
        }
      }
    }
    expect({ missing, refused, accepted, miscounted }).toEqual({
      missing: [],
      refused: [],
      accepted: [],
      miscounted: [],
    })
    expect(checked).toBeGreaterThan(30)
  })
})
