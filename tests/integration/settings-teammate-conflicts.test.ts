import { and, asc, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, cannedResponses, mailboxes, webhookEndpoints } from '#db/schema.ts'
import { getAiSettings } from '#app/ai/settings.server.ts'
import { aiSettingsBase, aiSettingsFormValues } from '#app/ai/schemas.ts'
import * as aiRoute from '#app/routes/w.$slug.settings.ai.tsx'
import * as cannedRoute from '#app/routes/w.$slug.settings.canned-responses.tsx'
import * as mailboxesRoute from '#app/routes/w.$slug.settings.mailboxes.tsx'
import * as webhooksRoute from '#app/routes/w.$slug.settings.webhooks.tsx'
import { autoAcknowledgementBase, mailboxBase } from '#app/utils/mailbox-schemas.ts'
import { webhookEndpointBase } from '#app/utils/webhook-schemas.ts'
import { createMember } from '#tests/helpers/factories.ts'
import { callAction } from '#tests/helpers/routes.ts'

// Two admins on one settings form: A's page draws it, B saves a field, then A saves the same field
// otherwise. Before, A's save silently replaced B's (the last save won); now it is refused as the
// customer profile's is (a 409 naming the field and what B stored, nothing written, A's text in
// the answer), another field of A's is saved beside B's, and A's save replaces B's once A has seen
// it (`replace`, which the form posts for a field whose teammate's save it shows).

type Actor = Awaited<ReturnType<typeof createMember>>
type FormFields = Record<string, string | string[]>

/** Posts a settings form as a browser does: a list per repeated name, an empty field left out. */
function poster(route: Parameters<typeof callAction>[0], page: string) {
  return (actor: Actor, fields: FormFields) => {
    const form = new FormData()
    for (const [name, value] of Object.entries(fields)) {
      for (const one of Array.isArray(value) ? value : [value]) if (one !== '') form.append(name, one)
    }
    const slug = actor.workspace.slug
    return callAction(route, `/w/${slug}/settings/${page}`, form, { cookie: actor.cookie, params: { slug } })
  }
}

async function auditCount(workspaceId: string) {
  const rows = await getDb()
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(eq(auditEvents.workspaceId, workspaceId))
  return rows.length
}

type Race = {
  a: Actor
  b: Actor
  post: ReturnType<typeof poster>
  /** The form as both pages drew it (ids, intent, fields and `base`). */
  drawn: FormFields
  /** The field both edit: B's value, then A's. */
  field: string
  theirs: string | string[]
  ours: string | string[]
  /** Another field only A edits, and A's value for it. */
  other: [string, string | string[]]
  /** The stored record as the form's fields show it. */
  stored: () => Promise<FormFields>
}

/** A field's value whatever the form posts it as: one ticked box of a group is a string. */
const asSet = (value: string | string[] | undefined) => [value ?? ''].flat().sort()

async function raceOnOneField({ a, b, post, drawn, field, theirs, ours, other, stored }: Race) {
  const workspaceId = a.workspace.id
  expect((await post(b, { ...drawn, [field]: theirs })).status).toBe(200)
  const before = { row: await stored(), audits: await auditCount(workspaceId) }

  const refused = await post(a, { ...drawn, [field]: ours })
  expect(refused.status).toBe(409)
  expect(refused.data.conflict).toEqual([{ name: field, value: theirs }])
  // What A typed comes back to be shown again, with the conflict next to the field.
  expect(asSet(refused.data.result.initialValue[field])).toEqual(asSet(ours))
  expect(refused.data.result.error[field]).toHaveLength(1)
  expect(refused.data.reloadStored).toBe(true)
  expect({ row: await stored(), audits: await auditCount(workspaceId) }).toEqual(before)

  // Another field of A's is saved, and B's value of the first stays.
  const [otherField, otherValue] = other
  expect((await post(a, { ...drawn, [otherField]: otherValue })).status).toBe(200)
  let now = await stored()
  expect(asSet(now[field])).toEqual(asSet(theirs))
  expect(asSet(now[otherField])).toEqual(asSet(otherValue))

  // Once A's form showed B's save, A's save replaces it knowingly.
  expect((await post(a, { ...drawn, [field]: ours, replace: field })).status).toBe(200)
  now = await stored()
  expect(asSet(now[field])).toEqual(asSet(ours))
  expect(asSet(now[otherField])).toEqual(asSet(otherValue))
}

async function twoAdmins() {
  const a = await createMember('owner')
  const b = await createMember('admin', a.workspace)
  return { a, b }
}

async function mailboxOf(workspaceId: string) {
  const [row] = await getDb()
    .select()
    .from(mailboxes)
    .where(and(eq(mailboxes.workspaceId, workspaceId), eq(mailboxes.key, 'support')))
  return row!
}

describe('a settings field two admins save', () => {
  const postMailboxes = poster(mailboxesRoute, 'mailboxes')

  it('is not saved over a teammate’s newer mailbox signature unseen', async () => {
    const { a, b } = await twoAdmins()
    const mailbox = await mailboxOf(a.workspace.id)
    const values = {
      name: mailbox.name,
      address: mailbox.address,
      fromName: mailbox.fromName,
      signature: mailbox.signature,
    }
    await raceOnOneField({
      a,
      b,
      post: postMailboxes,
      drawn: { intent: 'update', mailboxId: mailbox.id, ...values, base: mailboxBase(values) },
      field: 'signature',
      theirs: 'Cheers, the team',
      ours: 'Kind regards, Ada',
      other: ['fromName', 'Acme Help'],
      stored: async () => {
        const row = await mailboxOf(a.workspace.id)
        return { name: row.name, address: row.address, fromName: row.fromName, signature: row.signature }
      },
    })
  })

  it('is not saved over a teammate’s newer auto-acknowledgement text unseen', async () => {
    const { a, b } = await twoAdmins()
    const mailbox = await mailboxOf(a.workspace.id)
    await getDb()
      .update(mailboxes)
      .set({ autoAcknowledge: true, autoAcknowledgeText: 'We got it.' })
      .where(eq(mailboxes.id, mailbox.id))
    await raceOnOneField({
      a,
      b,
      post: postMailboxes,
      drawn: {
        intent: 'auto-acknowledge',
        mailboxId: mailbox.id,
        enabled: 'on',
        text: 'We got it.',
        base: autoAcknowledgementBase({ autoAcknowledge: true, autoAcknowledgeText: 'We got it.' }),
      },
      field: 'text',
      theirs: 'We got it, thanks.',
      ours: 'Thanks, we answer within a day.',
      other: ['enabled', ''],
      stored: async () => {
        const row = await mailboxOf(a.workspace.id)
        return { enabled: row.autoAcknowledge ? 'on' : '', text: row.autoAcknowledgeText }
      },
    })
  })

  it('is not saved over a teammate’s newer canned response text unseen', async () => {
    const { a, b } = await twoAdmins()
    const postCanned = poster(cannedRoute, 'canned-responses')
    const values = { title: 'Refund sent', body: 'Hi {{customer.name}}, done.' }
    expect((await postCanned(a, { intent: 'create', ...values })).status).toBe(200)
    const read = async () => {
      const [row] = await getDb()
        .select()
        .from(cannedResponses)
        .where(eq(cannedResponses.workspaceId, a.workspace.id))
        .orderBy(asc(cannedResponses.id))
      return row!
    }
    const { id } = await read()
    await raceOnOneField({
      a,
      b,
      post: postCanned,
      drawn: { intent: 'update', cannedResponseId: id, ...values, base: JSON.stringify(values) },
      field: 'body',
      theirs: 'Hi {{customer.name}}, your refund is on its way.',
      ours: 'Hello {{customer.name}}, refunded today.',
      other: ['title', 'Refund done'],
      stored: async () => {
        const row = await read()
        return { title: row.title, body: row.body }
      },
    })
  })

  for (const [field, theirs, ours, other] of [
    ['description', 'CRM sync', 'CRM export', ['includeNotes', 'on']],
    ['events', ['ticket.created', 'ticket.updated'], ['message.created'], ['description', 'Both']],
  ] as const) {
    it(`is not saved over a teammate’s newer webhook endpoint ${field} unseen`, async () => {
      const { a, b } = await twoAdmins()
      const postWebhooks = poster(webhooksRoute, 'webhooks')
      const created = await postWebhooks(a, {
        intent: 'create',
        url: 'https://hooks.example.com/in',
        description: 'CRM',
        events: ['ticket.created'],
      })
      expect(created.status).toBe(200)
      const read = async () => {
        const [row] = await getDb()
          .select()
          .from(webhookEndpoints)
          .where(eq(webhookEndpoints.workspaceId, a.workspace.id))
        return row!
      }
      const row = await read()
      const values = { url: row.url, description: row.description, events: row.events, includeNotes: false }
      await raceOnOneField({
        a,
        b,
        post: postWebhooks,
        drawn: {
          intent: 'update',
          id: row.id,
          url: values.url,
          description: values.description,
          events: values.events,
          base: webhookEndpointBase(values),
        },
        field,
        theirs: typeof theirs === 'string' ? theirs : [...theirs],
        ours: typeof ours === 'string' ? ours : [...ours],
        other: [other[0], other[1]],
        stored: async () => {
          const now = await read()
          return {
            url: now.url,
            description: now.description,
            events: now.events,
            includeNotes: now.includeNotes ? 'on' : '',
          }
        },
      })
    })
  }

  it('is not saved over a teammate’s newer AI model unseen', async () => {
    const { a, b } = await twoAdmins()
    const settings = await getAiSettings(a.workspace.id)
    await raceOnOneField({
      a,
      b,
      post: poster(aiRoute, 'ai'),
      drawn: { ...aiSettingsFormValues(settings), base: aiSettingsBase(settings) },
      field: 'model',
      theirs: 'model-b',
      ours: 'model-a',
      other: ['monthlyTokenBudget', '5000'],
      stored: async () => aiSettingsFormValues(await getAiSettings(a.workspace.id)),
    })
  })
})
