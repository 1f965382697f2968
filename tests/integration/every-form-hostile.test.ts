import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import type { Element } from 'domhandler'
import * as domutils from 'domutils'
import { eq } from 'drizzle-orm'
import { parseDocument } from 'htmlparser2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { messages, tickets } from '#db/schema.ts'
import { startQueue, stopQueue } from '#app/jobs/queue.server.ts'
import { apiClient, apiTokenFor } from '#tests/helpers/api.ts'
import { captureProcessLog } from '#tests/helpers/captured-log.ts'
import { createMember, createTicketFor } from '#tests/helpers/factories.ts'
import { pagesWithForms } from '#tests/helpers/form-pages.ts'
import { startTestServer } from '#tests/helpers/http-server.ts'
import { testDatabaseUrl } from '#tests/helpers/setup-env.ts'

// Every form the app serves, posted as served and then with each field replaced by a hostile value
// (NUL, a lone surrogate, 20,000 characters, a header injection, numbers past int4, JSON, a nil
// UUID…) or sent twice, as a page post and as single fetch's `.data`; and every page and resource
// route with hostile query strings and path segments. Nothing may answer 5xx or log at error
// level: bad input is the client's mistake. Two found this way (2026-12-06): a queue query string
// with NUL inside `from` (Previous/Next), and the customer profile form reading a field posted
// twice as a string while rendering the refusal.

let log: ReturnType<typeof captureProcessLog>
let server: Awaited<ReturnType<typeof startTestServer>>

beforeAll(async () => {
  log = captureProcessLog()
  await startQueue(testDatabaseUrl)
  server = await startTestServer({ sockets: false })
})
afterAll(async () => {
  await server?.close()
  await stopQueue()
  log.restore()
})

const errorLines = () => log.lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50)

type Form = { action: string; fields: Array<[string, string]>; multipart: boolean }

/** The POST forms of a page as a browser would send them: each submit button with a name is a variant. */
function formsOf(html: string, page: string): Form[] {
  const doc = parseDocument(html)
  const forms = domutils.findAll((e) => e.name === 'form', doc.children)
  const out: Form[] = []
  for (const form of forms) {
    if ((form.attribs.method ?? 'get').toLowerCase() !== 'post') continue
    const action = form.attribs.action ?? page
    const fields: Array<[string, string]> = []
    const buttons: Array<[string, string]> = []
    const controls = domutils.findAll(
      (e) => ['input', 'select', 'textarea', 'button'].includes(e.name),
      form.children,
    ) as Element[]
    for (const c of controls) {
      const name = c.attribs.name
      if (!name) continue
      const type = c.attribs.type ?? ''
      if (c.name === 'button' || type === 'submit') buttons.push([name, c.attribs.value ?? ''])
      else if (type === 'file') continue
      else if (c.name === 'select') {
        const options = domutils.findAll((e) => e.name === 'option', c.children)
        fields.push([name, options.find((o) => o.attribs.value)?.attribs.value ?? ''])
      } else if (c.name === 'textarea') fields.push([name, domutils.textContent(c) || 'Some text'])
      else if (type === 'checkbox' || type === 'radio') fields.push([name, c.attribs.value ?? 'on'])
      else fields.push([name, c.attribs.value ?? SAMPLE[type] ?? 'Some value'])
    }
    const multipart = (form.attribs.enctype ?? '').includes('multipart')
    if (buttons.length === 0) out.push({ action, fields, multipart })
    for (const button of buttons) out.push({ action, fields: [...fields, button], multipart })
  }
  return out
}

/** What a person would type into an empty input of this type. */
const SAMPLE: Record<string, string> = {
  email: 'someone@example.com',
  url: 'https://hooks.example.org/switchboard',
  number: '5',
}

const HOSTILE = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '',
  ' ',
  '-1',
  '1e309',
  '2147483648',
  '[]',
  '{"x":1}',
  'x'.repeat(20_000),
  "' or 1=1 --",
  '%00',
  'null',
  '00000000-0000-0000-0000-000000000000',
  '\u202e',
  'a\r\nBcc: x@example.org',
]
/** Posts that would end the session or remove what the rest of the run posts to. */
const SKIPPED = /password|sign-out|delete|remove|revoke|archive|leave/

function body(form: Form, fields: Array<[string, string]>) {
  if (!form.multipart) return new URLSearchParams(fields)
  const data = new FormData()
  for (const [name, value] of fields) data.append(name, value)
  return data
}

describe('hostile input on every form and route', () => {
  it('answers every form, posted as served and with each field hostile or twice, without a 5xx', async () => {
    const { owner, signedIn, signedOut } = await pagesWithForms()
    const failures: string[] = []
    let posts = 0
    let formsSeen = 0
    const formsOn = async (page: string, cookie: string) => {
      const html = await (await fetch(server.url + page, { headers: { cookie } })).text()
      return formsOf(html, page).filter(
        (f) =>
          !/logout/.test(f.action) && !f.fields.some(([name, v]) => name === 'intent' && SKIPPED.test(v)),
      )
    }
    // First each signed-in form once as served, so the pages then show the edit forms of what
    // that created (a canned response, an API token, a tag on the ticket…).
    for (const page of signedIn) {
      for (const form of await formsOn(page, owner.cookie)) {
        const response = await fetch(server.url + form.action, {
          method: 'POST',
          body: body(form, form.fields),
          headers: { cookie: owner.cookie, origin: server.url },
          redirect: 'manual',
        })
        await response.arrayBuffer()
        if (response.status >= 500) failures.push(`${response.status} ${form.action} as served`)
      }
    }
    for (const page of [...signedOut, ...signedIn]) {
      const cookie = signedOut.includes(page) ? '' : owner.cookie
      const forms = await formsOn(page, cookie)
      formsSeen += forms.length
      for (const form of forms) {
        const variants = [form.fields]
        form.fields.forEach(([name], i) => {
          // The intent picks the action's branch: three hostile values are enough there.
          for (const value of name === 'intent' ? HOSTILE.slice(0, 3) : HOSTILE) {
            variants.push(form.fields.map((f, j) => (j === i ? [f[0], value] : f)))
          }
          variants.push([...form.fields, form.fields[i]!])
        })
        for (const fields of variants) {
          for (const suffix of ['', '.data']) {
            const url = server.url + form.action.replace(/(\?|$)/, `${suffix}$1`)
            const response = await fetch(url, {
              method: 'POST',
              body: body(form, fields),
              // One address per post: the sign-in and signup limits would otherwise answer 429.
              headers: { cookie, origin: server.url, 'x-forwarded-for': `203.0.113.${posts % 250}` },
              redirect: 'manual',
            })
            posts++
            await response.arrayBuffer()
            if (response.status >= 500) {
              failures.push(
                `${response.status} ${form.action}${suffix} ${new URLSearchParams(fields)}`.slice(0, 400),
              )
            }
          }
        }
      }
    }
    expect(formsSeen).toBeGreaterThan(45)
    expect(posts).toBeGreaterThan(3000)
    expect(failures).toEqual([])
    expect(errorLines()).toEqual([])
  }, 240_000)

  it('answers hostile query strings and path segments on every route without a 5xx', async () => {
    const owner = await createMember('owner')
    const ticket = await createTicketFor(owner)
    const [row] = await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId))
    const [message] = await getDb().select().from(messages).where(eq(messages.ticketId, ticket.ticketId))
    const s = owner.workspace.slug
    const t = `/w/${s}/tickets/${ticket.number}`
    const routes = [
      '/',
      '/account',
      '/login',
      '/signup',
      '/forgot-password',
      `/w/${s}`,
      `/w/${s}/customers`,
      `/w/${s}/customers/${row!.contactId}`,
      `/w/${s}/notifications`,
      `/w/${s}/palette`,
      `/w/${s}/settings/webhooks`,
      `/w/${s}/tickets`,
      t,
      `${t}/earlier`,
      `${t}/similar`,
      `${t}/beside/next`,
      `${t}/beside/previous`,
      `/w/${s}/messages/${message!.id}/email`,
      `/support/${s}`,
    ]
    const queries = [
      '?before=zz',
      '?after=%ff',
      '?q=%00',
      `?q=${'a'.repeat(3000)}`,
      '?view=nope&sort=x&page=-1',
      `?before=${message!.id}`,
      '?status=open&status=closed',
      `?from=${encodeURIComponent('view=all&q=%00')}`,
      '?from=view%3Dall%26q%3D%00',
      '?thread=all&quoted=1',
    ]
    const segments = [
      '%00',
      '%2500',
      'a'.repeat(3000),
      '%ff',
      '..%2f..',
      '1e308',
      '-1',
      '99999999999',
      '%E2%80%AE',
    ]
    const prefixes = [
      '/invite/',
      '/reset-password/',
      '/verify-email/',
      '/notifications/unsubscribe/',
      '/support/t/',
      '/support/t/x/files/',
      `/support/${s}/`,
      '/w/',
      `/w/${s}/tickets/`,
      `/w/${s}/customers/`,
      `/w/${s}/attachments/`,
      `/w/${s}/messages/`,
      `${t}/beside/`,
    ]
    const requests: Array<[string, string]> = []
    for (const route of routes) for (const q of queries) requests.push(['GET', route + q])
    for (const prefix of prefixes)
      for (const segment of segments) requests.push(['GET', prefix + segment], ['POST', prefix + segment])
    const failures: string[] = []
    for (const [method, path] of requests) {
      for (const suffix of ['', '.data']) {
        const [pathname, query = ''] = path.split('?')
        const url = `${server.url}${pathname}${suffix}${query ? `?${query}` : ''}`
        const response = await fetch(url, {
          method,
          headers: { cookie: owner.cookie, origin: server.url },
          body:
            method === 'POST'
              ? new URLSearchParams({ intent: 'reply', body: 'Hello', email: 'a@example.org' })
              : undefined,
          redirect: 'manual',
        })
        await response.arrayBuffer()
        if (response.status >= 500)
          failures.push(`${response.status} ${method} ${pathname}${suffix}?${query}`.slice(0, 300))
      }
    }
    expect(failures).toEqual([])
    expect(errorLines()).toEqual([])
  }, 240_000)
})

type Schema = {
  $ref?: string
  type?: string | string[]
  properties?: Record<string, Schema>
  required?: string[]
  items?: Schema
  enum?: unknown[]
  format?: string
  anyOf?: Schema[]
  oneOf?: Schema[]
  allOf?: Schema[]
}
type Spec = {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Array<{ name: string; in: string }>
        requestBody?: { content: Record<string, { schema: Schema }> }
      }
    >
  >
  components?: { schemas?: Record<string, Schema> }
}

/** A value the schema accepts, as an integrator would send it (ids are the workspace's own). */
function sample(spec: Spec, schema: Schema, ids: Record<string, string>, name = ''): unknown {
  if (schema.$ref) {
    // A JSON pointer into the document the schema came from (`#/components/schemas/…`, `#/$defs/…`).
    const target = schema.$ref
      .slice(2)
      .split('/')
      .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], spec)
    return sample(spec, target as Schema, ids, name)
  }
  const choice = schema.anyOf ?? schema.oneOf
  if (choice) return sample(spec, choice.find((s) => s.type !== 'null') ?? choice[0]!, ids, name)
  if (schema.allOf) return sample(spec, schema.allOf[0]!, ids, name)
  if (schema.enum) return schema.enum[0]
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type
  if (type === 'object' || schema.properties) {
    return Object.fromEntries(
      Object.entries(schema.properties ?? {}).map(([key, value]) => [key, sample(spec, value, ids, key)]),
    )
  }
  if (type === 'array') return [sample(spec, schema.items ?? {}, ids, name)]
  if (type === 'integer' || type === 'number') return 1
  if (type === 'boolean') return true
  if (schema.format === 'email' || name.includes('email')) return 'someone@example.org'
  if (schema.format === 'uri' || name === 'url') return 'https://hooks.example.org/switchboard'
  if (name in ids) return ids[name]
  if (schema.format === 'uuid') return ids.uuid
  return 'Some value'
}

const HOSTILE_JSON: unknown[] = [
  null,
  '',
  '\u0000',
  'a\u0000b',
  '\ud800',
  -1,
  2 ** 31,
  1.5,
  1e308,
  [],
  {},
  true,
  'x'.repeat(20_000),
  '00000000-0000-0000-0000-000000000000',
  'a\r\nBcc: x@example.org',
  [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]],
]

describe('hostile input on every API operation', () => {
  it('answers every operation of the OpenAPI document, with each body field and parameter hostile, without a 5xx', async () => {
    const owner = await createMember('owner')
    const ticket = await createTicketFor(owner)
    const [row] = await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId))
    const [message] = await getDb().select().from(messages).where(eq(messages.ticketId, ticket.ticketId))
    // A token per 500 calls: each has its own rate limit, and a 429 would test nothing.
    const tokens = await Promise.all(Array.from({ length: 12 }, () => apiTokenFor(owner)))
    let calls = 0
    const call = apiClient(server.url)
    const send = (method: string, path: string, body?: unknown) =>
      call(method, path, { token: tokens[Math.floor(calls++ / 500)]!.token, body })
    const spec = (await send('GET', '/api/v1/openapi.json')).json as Spec
    const ids: Record<string, string> = {
      uuid: row!.contactId,
      number: String(ticket.number),
      id: row!.contactId,
      last_seen_message_id: message!.id,
      assignee_id: owner.user.id,
      mailbox_id: row!.mailboxId,
    }
    const webhook = (
      await send('POST', '/api/v1/webhooks', {
        url: 'https://hooks.example.org/first',
        events: ['ticket.created'],
      })
    ).json as { id: string }
    expect(webhook.id).toBeDefined()
    const failures: string[] = []
    const check = async (method: string, path: string, body?: unknown) => {
      const response = await send(method, path, body)
      if (response.status >= 500)
        failures.push(`${response.status} ${method} ${path} ${JSON.stringify(body)?.slice(0, 200)}`)
      if (response.status === 429) failures.push(`429 ${method} ${path}: the run needs more tokens`)
    }
    let operations = 0
    for (const [template, methods] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        if (!['get', 'post', 'patch', 'put', 'delete'].includes(method)) continue
        if (method === 'delete') continue
        operations++
        // `{id}` is a contact's under /contacts and the webhook's under /webhooks.
        const own: Record<string, string> = template.startsWith('/webhooks') ? { id: webhook.id } : {}
        const fill = (params: Record<string, string>) =>
          '/api/v1' +
          template.replace(/\{(\w+)\}/g, (_, name: string) =>
            encodeURIComponent(params[name] ?? own[name] ?? ids[name] ?? ''),
          )
        const schema = op.requestBody?.content['application/json']?.schema
        const base = schema ? (sample(spec, schema, ids) as Record<string, unknown>) : undefined
        await check(method.toUpperCase(), fill({}), base)
        // Each path parameter hostile.
        for (const param of template.match(/\{(\w+)\}/g) ?? []) {
          const name = param.slice(1, -1)
          for (const value of [
            '%00',
            '-1',
            '99999999999',
            'x'.repeat(500),
            '00000000-0000-0000-0000-000000000000',
          ]) {
            await check(method.toUpperCase(), fill({ [name]: decodeURIComponent(value) }), base)
          }
        }
        // Each query parameter hostile.
        for (const param of (op.parameters ?? []).filter((p) => p.in === 'query')) {
          for (const value of ['%00', '', '-1', '99999999999', 'x'.repeat(3000), '%ff', '1e309']) {
            await check(method.toUpperCase(), `${fill({})}?${param.name}=${value}`)
          }
        }
        // Each body field hostile, and the body itself not an object.
        if (base) {
          for (const key of Object.keys(base)) {
            for (const value of HOSTILE_JSON)
              await check(method.toUpperCase(), fill({}), { ...base, [key]: value })
          }
          for (const value of ['[]', 'null', '"text"', '{', '{"a":1,"a":2}'])
            await check(method.toUpperCase(), fill({}), value)
        }
      }
    }
    expect(operations).toBeGreaterThan(15)
    expect(failures).toEqual([])
    expect(errorLines()).toEqual([])
  }, 240_000)
})

describe('hostile input on every MCP tool', () => {
  it('answers every tool, with arguments sampled from its input schema and each one hostile, without a server error', async () => {
    const owner = await createMember('owner')
    const ticket = await createTicketFor(owner)
    const [row] = await getDb().select().from(tickets).where(eq(tickets.id, ticket.ticketId))
    const [message] = await getDb().select().from(messages).where(eq(messages.ticketId, ticket.ticketId))
    const tokens = await Promise.all(Array.from({ length: 4 }, () => apiTokenFor(owner)))
    const ids: Record<string, string> = {
      uuid: row!.contactId,
      number: String(ticket.number),
      contact_id: row!.contactId,
      last_seen_message_id: message!.id,
      assignee_id: owner.user.id,
    }
    const failures: string[] = []
    let calls = 0
    let tools = 0
    for (const [t, token] of tokens.entries()) {
      const client = new Client({ name: 'hostile-test', version: '1.0.0' })
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${token.token}` } },
        }),
      )
      try {
        const listed = (await client.listTools()).tools
        // Each token takes a quarter of the tools: one rate limit per token.
        const mine = listed.filter((_, i) => i % tokens.length === t)
        tools += mine.length
        for (const tool of mine) {
          const schema = tool.inputSchema as Schema
          const base = sample({ paths: {}, ...schema } as Spec, schema, ids) as Record<string, unknown>
          if (typeof base.number === 'string') base.number = ticket.number
          const variants: Array<Record<string, unknown>> = [base, {}]
          for (const key of Object.keys(base))
            for (const value of HOSTILE_JSON) variants.push({ ...base, [key]: value })
          for (const args of variants) {
            calls++
            try {
              const result = (await client.callTool({ name: tool.name, arguments: args })) as {
                isError?: boolean
                content: Array<{ text?: string }>
              }
              if (result.isError && /internal|unexpected/i.test(result.content[0]?.text ?? '')) {
                failures.push(
                  `${tool.name} ${JSON.stringify(args).slice(0, 200)}: ${result.content[0]?.text}`,
                )
              }
            } catch (error) {
              // Invalid params (-32602) is the client's mistake; anything else is ours. (NUL in an
              // argument is refused before the SDK parses the call: an HTTP 400 carrying -32602.)
              const code = (error as { code?: number }).code
              if (code !== -32602 && !String(error).includes('"code":-32602'))
                failures.push(`${tool.name} ${JSON.stringify(args).slice(0, 200)}: ${String(error)}`)
            }
          }
        }
      } finally {
        await client.close()
      }
    }
    expect(tools).toBeGreaterThan(5)
    expect(calls).toBeGreaterThan(200)
    expect(failures).toEqual([])
    expect(errorLines()).toEqual([])
  }, 240_000)
})
