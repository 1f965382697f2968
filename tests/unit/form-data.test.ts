import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  checkFieldName,
  checkFormShape,
  FORM_LIMITS,
  FORM_REFUSED_MESSAGE,
  NUL_MESSAGE,
  parseSubmission,
  readForm,
  searchParamsOf,
} from '#app/http/form-data.server.ts'

function post(body: BodyInit | null, contentType?: string) {
  return new Request('http://localhost:3000/x', {
    method: 'POST',
    body,
    headers: contentType ? { 'content-type': contentType } : {},
  })
}

async function refusal(promise: Promise<unknown>) {
  try {
    await promise
  } catch (thrown) {
    if (thrown instanceof Response) return { status: thrown.status, body: await thrown.text() }
    throw thrown
  }
  throw new Error('expected a refusal')
}

describe('checkFieldName', () => {
  it('accepts the names our forms use and Conform’s own', () => {
    for (const name of [
      'email',
      'ticketIds',
      'lastSeenMessageId',
      '__intent__',
      'tags[0]',
      'tags[100]',
      'a.b',
      'a[1].b',
    ]) {
      expect(checkFieldName(name), name).toBeNull()
    }
  })

  it('refuses large indices, deep nesting and long names on the raw string', () => {
    expect(checkFieldName('x[101]')).toBe('array index too large')
    expect(checkFieldName('x[100000000]')).toBe('array index too large')
    expect(checkFieldName('x[0001]')).toBe('array index too large')
    expect(checkFieldName('a.b.c')).toBeNull()
    expect(checkFieldName('a.b.c.d')).toBe('nested too deeply')
    expect(checkFieldName('a[0][1][2]')).toBe('nested too deeply')
    expect(checkFieldName('a' + '[0]'.repeat(5000))).toBe('name too long')
    expect(checkFieldName('a' + '[0]'.repeat(20))).toBe('nested too deeply')
    expect(checkFieldName('x'.repeat(FORM_LIMITS.maxNameLength + 1))).toBe('name too long')
  })
})

describe('checkFormShape', () => {
  it('accepts a bulk change of 100 tickets and stops counting past the limit', () => {
    const bulk: Array<[string, string]> = [
      ['intent', 'bulk'],
      ['operation', 'tag'],
      ['tag', 'vip'],
      ...Array.from({ length: 100 }, (): [string, string] => ['ticketIds', crypto.randomUUID()]),
    ]
    expect(checkFormShape(bulk)).toBeNull()
    let visited = 0
    function* endless(): Generator<[string, string]> {
      for (;;) {
        visited++
        yield ['a', '1']
      }
    }
    expect(checkFormShape(endless())).toMatchObject({ reason: `more than ${FORM_LIMITS.maxFields} fields` })
    expect(visited).toBe(FORM_LIMITS.maxFields + 1)
  })

  it('names the offending field', () => {
    expect(
      checkFormShape([
        ['email', 'a'],
        ['x[100000000]', '1'],
      ]),
    ).toEqual({
      field: 'x[100000000]',
      reason: 'array index too large',
    })
  })
})

describe('readForm', () => {
  it('reads url-encoded and multipart forms', async () => {
    const url = await readForm(post('a=1&b=%00x&&a=2', 'application/x-www-form-urlencoded; charset=UTF-8'))
    expect([...url]).toEqual([
      ['a', '1'],
      ['b', '\u0000x'],
      ['a', '2'],
    ])
    const body = new FormData()
    body.append('name', 'Ada')
    expect([...(await readForm(post(body)))]).toEqual([['name', 'Ada']])
  })

  it('refuses other content types with a small 415', async () => {
    for (const [body, type] of [
      ['{"a":1}', 'application/json'],
      ['a=1', 'text/plain'],
      ['a=1', undefined],
      ['a=1', '%%garbage'],
    ] as const) {
      const refused = await refusal(readForm(post(body, type)))
      expect(refused.status, String(type)).toBe(415)
      expect(refused.body.length).toBeLessThan(200)
    }
  })

  it('refuses too many fields, large indices and deep nesting with a small 400', async () => {
    const urlencoded = 'application/x-www-form-urlencoded'
    for (const body of [
      'x[100000000]=1',
      'x%5B1000000%5D=1',
      'a' + '[a]'.repeat(5000) + '=1',
      Array.from({ length: 10_000 }, (_, i) => `f${i}=1`).join('&'),
    ]) {
      expect(await refusal(readForm(post(body, urlencoded)))).toEqual({
        status: 400,
        body: FORM_REFUSED_MESSAGE,
      })
    }
    const multipart = new FormData()
    multipart.append('x[100000000]', '1')
    expect((await refusal(readForm(post(multipart)))).status).toBe(400)
    const noBoundary = await refusal(readForm(post('--x\r\n', 'multipart/form-data')))
    expect(noBoundary.status).toBe(400)
  })
})

describe('parseSubmission', () => {
  const Schema = z.discriminatedUnion('intent', [
    z.object({ intent: z.literal('rename'), name: z.string({ error: 'Type a name' }).max(20) }),
    z.object({ intent: z.literal('delete'), id: z.uuid() }),
  ])

  function form(entries: Record<string, string>) {
    const formData = new FormData()
    for (const [name, value] of Object.entries(entries)) formData.append(name, value)
    return formData
  }

  it('never echoes fields the schema does not know', () => {
    const submission = parseSubmission(
      form({ intent: 'rename', name: 'x'.repeat(30), 'junk[3]': 'y', other: 'z' }),
      {
        schema: Schema,
      },
    )
    expect(submission.status).toBe('error')
    const reply = submission.reply()
    expect(reply.initialValue).toEqual({ intent: 'rename', name: 'x'.repeat(30) })
  })

  it('gives a field with NUL a field error, keeping the rest of what was typed', () => {
    const submission = parseSubmission(form({ intent: 'rename', name: 'Ada\u0000' }), { schema: Schema })
    expect(submission.status).toBe('error')
    const reply = submission.reply()
    expect(reply.error).toEqual({ name: [NUL_MESSAGE] })
    expect(reply.initialValue).toEqual({ intent: 'rename', name: 'Ada' })
  })

  it('reads line breaks as \\n, as a textarea posted without JavaScript (CRLF) or with a lone CR', () => {
    const submission = parseSubmission(form({ intent: 'rename', name: 'A\r\nB\rC\nD' }), { schema: Schema })
    expect(submission.status).toBe('success')
    expect(submission.status === 'success' && submission.value).toEqual({
      intent: 'rename',
      name: 'A\nB\nC\nD',
    })
  })

  it('parses a clean form as parseWithZod does', () => {
    const submission = parseSubmission(form({ intent: 'rename', name: 'Ada' }), { schema: Schema })
    expect(submission.status).toBe('success')
    if (submission.status === 'success') expect(submission.value).toEqual({ intent: 'rename', name: 'Ada' })
  })
})

describe('searchParamsOf', () => {
  it('drops NUL characters from the query string', () => {
    const params = searchParamsOf(new Request('http://localhost:3000/w/a/tickets?q=in%00voice&status=open'))
    expect(params.get('q')).toBe('invoice')
    expect(params.get('status')).toBe('open')
  })
})
