import { and, asc, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { getDb } from '#db/client.ts'
import { auditEvents, mailboxes } from '#db/schema.ts'
import { forwardingAddress } from '#app/domain/mailboxes.server.ts'
import * as mailboxesRoute from '#app/routes/w.$slug.settings.mailboxes.tsx'
import { createMember, team } from '#tests/helpers/factories.ts'
import { auditFor } from '#tests/helpers/db-reads.ts'
import { callAction, callLoader } from '#tests/helpers/routes.ts'

type Actor = Awaited<ReturnType<typeof createMember>>

function postMailboxes(actor: Actor, form: Record<string, string>, slug = actor.workspace.slug) {
  // Posted as the confirmation step does (tests/integration/confirmations.test.ts covers the step itself).
  return callAction(
    mailboxesRoute,
    `/w/${slug}/settings/mailboxes`,
    { ...form, confirmed: '1' },
    {
      cookie: actor.cookie,
      params: { slug },
    },
  )
}

function loadMailboxes(actor: Actor, slug = actor.workspace.slug) {
  return callLoader(mailboxesRoute, `/w/${slug}/settings/mailboxes`, {
    cookie: actor.cookie,
    params: { slug },
  })
}

/** Every mailbox and audit row of the workspace, to assert "nothing was written". */
async function snapshot(workspaceId: string) {
  const db = getDb()
  const rows = await db
    .select()
    .from(mailboxes)
    .where(eq(mailboxes.workspaceId, workspaceId))
    .orderBy(asc(mailboxes.id))
  const audit = await db
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(eq(auditEvents.workspaceId, workspaceId))
  return { rows, audit }
}

async function mailboxByKey(workspaceId: string, key: string) {
  const [row] = await getDb()
    .select()
    .from(mailboxes)
    .where(and(eq(mailboxes.workspaceId, workspaceId), eq(mailboxes.key, key)))
  return row
}

/** The values an edit form of this mailbox is drawn with. */
function drawnOf(mailbox: { name: string; address: string; fromName: string; signature: string }) {
  return {
    name: mailbox.name,
    address: mailbox.address,
    fromName: mailbox.fromName,
    signature: mailbox.signature,
  }
}

const valid = {
  intent: 'create',
  name: 'Billing & Refunds',
  address: 'billing@acme.example',
  fromName: 'Acme Billing',
  signature: '— The Acme billing team',
}

describe('mailboxes settings', () => {
  it('builds the forwarding address from the workspace slug, the mailbox key and INBOUND_DOMAIN', () => {
    expect(forwardingAddress('acme', 'billing')).toBe('acme.billing@inbound.localhost')
  })

  it('lists active and archived mailboxes with their forwarding addresses, editable by owners and admins only', async () => {
    const { owner, agent, workspace } = await team()
    const page = await loadMailboxes(owner)
    expect(page.status).toBe(200)
    expect(page.data.canManage).toBe(true)
    expect(page.data.mailboxes).toEqual([
      expect.objectContaining({
        name: 'Support',
        key: 'support',
        archivedAt: null,
        forwardingAddress: `${workspace.slug}.support@inbound.localhost`,
      }),
    ])

    const asAgent = await loadMailboxes(agent)
    expect(asAgent.status).toBe(200)
    expect(asAgent.data.canManage).toBe(false)
    expect(asAgent.data.mailboxes).toHaveLength(1)
  })

  describe('creating', () => {
    it.each(['owner', 'admin'] as const)(
      'lets an %s create a mailbox whose key is derived from its name, and records it',
      async (role) => {
        const t = await team()
        const actor = t[role]
        const result = await postMailboxes(actor, valid)
        expect(result.status).toBe(200)
        expect(result.data.notice).toBe('Mailbox “Billing & Refunds” created.')
        const row = await mailboxByKey(t.workspace.id, 'billing-refunds')
        expect(row).toMatchObject({
          name: 'Billing & Refunds',
          address: 'billing@acme.example',
          fromName: 'Acme Billing',
          signature: '— The Acme billing team',
          archivedAt: null,
        })
        expect(await auditFor(t.workspace.id, 'mailbox.created')).toEqual([
          {
            actorUserId: actor.user.id,
            targetId: row.id,
            data: {
              key: 'billing-refunds',
              name: 'Billing & Refunds',
              address: 'billing@acme.example',
              fromName: 'Acme Billing',
            },
          },
        ])
        const page = await loadMailboxes(actor)
        expect(page.data.mailboxes.map((m: { forwardingAddress: string }) => m.forwardingAddress)).toEqual([
          `${t.workspace.slug}.support@inbound.localhost`,
          `${t.workspace.slug}.billing-refunds@inbound.localhost`,
        ])
      },
    )

    it('takes a key typed on create, lowercased, and an empty signature', async () => {
      const { owner, workspace } = await team()
      const result = await postMailboxes(owner, { ...valid, key: ' Sales-EU ', signature: '' })
      expect(result.status).toBe(200)
      expect(await mailboxByKey(workspace.id, 'sales-eu')).toMatchObject({ name: valid.name, signature: '' })
    })

    it('rejects a typed key that another mailbox already uses with a field error, writing nothing', async () => {
      const { owner, workspace } = await team()
      const before = await snapshot(workspace.id)
      const result = await postMailboxes(owner, { ...valid, key: 'support' })
      expect(result.status).toBe(400)
      expect(result.data.result.error.key).toEqual([
        'The key “support” is already used by another mailbox (maybe an archived one). Choose another.',
      ])
      // What was typed comes back so the form keeps it.
      expect(result.data.result.initialValue).toMatchObject({ address: valid.address })
      expect(await snapshot(workspace.id)).toEqual(before)
    })

    it('says on the name, not on the empty key field, that the key made from the name is taken', async () => {
      const { owner, workspace } = await team()
      // The first mailbox, renamed, keeps its key "support".
      await getDb()
        .update(mailboxes)
        .set({ name: 'Help desk' })
        .where(eq(mailboxes.workspaceId, workspace.id))
      const before = await snapshot(workspace.id)
      const result = await postMailboxes(owner, { ...valid, name: 'Support', key: '' })
      expect(result.status).toBe(400)
      expect(result.data.result.error).toEqual({
        name: [
          'The key made from this name, “support”, is already used by another mailbox (archived ones keep theirs). Change the name, or choose a key.',
        ],
      })
      expect(await snapshot(workspace.id)).toEqual(before)
    })

    it('refuses a second mailbox with the same name or address (any case), archived ones included', async () => {
      const { owner, workspace } = await team()
      expect((await postMailboxes(owner, valid)).status).toBe(200)
      const before = await snapshot(workspace.id)
      const sameName = await postMailboxes(owner, {
        ...valid,
        name: 'BILLING & refunds',
        address: 'other@acme.example',
        key: 'other',
      })
      expect(sameName.status).toBe(400)
      expect(sameName.data.result.error).toEqual({
        name: ['Another mailbox is already named “BILLING & refunds”. Choose another name.'],
      })
      const sameAddress = await postMailboxes(owner, {
        ...valid,
        name: 'Refunds',
        address: 'Billing@ACME.example',
      })
      expect(sameAddress.status).toBe(400)
      expect(sameAddress.data.result.error).toEqual({
        address: ['The mailbox “Billing & Refunds” already uses Billing@ACME.example. Use another address.'],
      })
      expect(await snapshot(workspace.id)).toEqual(before)

      const billing = await mailboxByKey(workspace.id, 'billing-refunds')
      expect((await postMailboxes(owner, { intent: 'archive', mailboxId: billing.id })).status).toBe(200)
      const archivedName = await postMailboxes(owner, {
        ...valid,
        key: 'billing-2',
        address: 'b2@acme.example',
      })
      expect(archivedName.data.result.error.name).toEqual([
        'An archived mailbox is already named “Billing & Refunds”: restore it under Archived mailboxes, or choose another name.',
      ])
      // Simultaneous posts of a new mailbox make one.
      const results = await Promise.all(
        Array.from({ length: 4 }, () =>
          postMailboxes(owner, { ...valid, name: 'Sales', address: 'sales@acme.example' }),
        ),
      )
      expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400])
      expect((await snapshot(workspace.id)).rows.filter((m) => m.name === 'Sales')).toHaveLength(1)
    })

    it('refuses to rename a mailbox to another one’s name or address, and keeps its own', async () => {
      const { owner, workspace } = await team()
      expect((await postMailboxes(owner, valid)).status).toBe(200)
      const billing = await mailboxByKey(workspace.id, 'billing-refunds')
      const support = await mailboxByKey(workspace.id, 'support')
      const update = { intent: 'update', mailboxId: billing.id, fromName: 'Acme', signature: '' }
      const renamed = await postMailboxes(owner, { ...update, name: 'support', address: valid.address })
      expect(renamed.status).toBe(400)
      expect(renamed.data.result.error).toEqual({
        name: ['Another mailbox is already named “support”. Choose another name.'],
      })
      const readdressed = await postMailboxes(owner, {
        ...update,
        name: valid.name,
        address: support.address,
      })
      expect(readdressed.data.result.error.address).toEqual([
        `The mailbox “Support” already uses ${support.address}. Use another address.`,
      ])
      const kept = await postMailboxes(owner, {
        ...update,
        name: 'billing & REFUNDS',
        address: valid.address,
      })
      expect(kept.status).toBe(200)
      expect((await mailboxByKey(workspace.id, 'billing-refunds')).name).toBe('billing & REFUNDS')
    })

    it('rejects the key of an archived mailbox too', async () => {
      const { owner, workspace } = await team()
      expect((await postMailboxes(owner, { ...valid, key: 'old' })).status).toBe(200)
      const old = await mailboxByKey(workspace.id, 'old')
      expect((await postMailboxes(owner, { intent: 'archive', mailboxId: old.id })).status).toBe(200)
      const result = await postMailboxes(owner, {
        ...valid,
        name: 'New',
        address: 'new@acme.example',
        key: 'old',
      })
      expect(result.status).toBe(400)
      expect(result.data.result.error.key).toBeDefined()
    })

    it.each([
      ['an invalid address', { address: 'not-an-email' }, 'address', 'Enter a valid email address'],
      ['a missing address', { address: '' }, 'address', 'Email is required'],
      ['an empty name', { name: '   ' }, 'name', 'Name is required'],
      ['a name over 80 characters', { name: 'x'.repeat(81) }, 'name', 'Use at most 80 characters'],
      ['an empty sender name', { fromName: '' }, 'fromName', 'Sender name is required'],
      [
        'a sender name over 80 characters',
        { fromName: 'y'.repeat(81) },
        'fromName',
        'Use at most 80 characters',
      ],
      [
        'a signature over 2000 characters',
        { signature: 's'.repeat(2001) },
        'signature',
        'Use at most 2,000 characters',
      ],
      [
        'a key with a dot',
        { key: 'a.b' },
        'key',
        'Use lowercase letters, digits and hyphens (not at the start or end)',
      ],
      ['a key over 40 characters', { key: 'k'.repeat(41) }, 'key', 'Use at most 40 characters'],
      [
        'a name without letters or digits and no key',
        { name: '!!!' },
        'key',
        'Choose a key: the name has no letters or digits',
      ],
    ])('rejects %s with a field error and writes nothing', async (_, form, field, message) => {
      const { owner, workspace } = await team()
      const before = await snapshot(workspace.id)
      const result = await postMailboxes(owner, { ...valid, ...form })
      expect(result.status).toBe(400)
      expect(result.data.result.error[field]).toEqual([message])
      expect(await snapshot(workspace.id)).toEqual(before)
    })

    it('accepts a name of exactly 80 characters and a signature of exactly 2000', async () => {
      const { owner, workspace } = await team()
      const result = await postMailboxes(owner, {
        ...valid,
        name: 'n'.repeat(80),
        key: 'long',
        signature: 's'.repeat(2000),
      })
      expect(result.status).toBe(200)
      expect((await mailboxByKey(workspace.id, 'long')).signature).toHaveLength(2000)
    })
  })

  describe('editing', () => {
    it('changes name, address, sender name and signature, never the key, and records before and after', async () => {
      const { admin, workspace } = await team()
      const support = await mailboxByKey(workspace.id, 'support')
      const result = await postMailboxes(admin, {
        intent: 'update',
        mailboxId: support.id,
        key: 'hijacked',
        name: 'Help',
        address: 'help@acme.example',
        fromName: 'Acme Help',
        signature: 'Thanks!',
      })
      expect(result.status).toBe(200)
      expect(result.data.formId).toBe(`mailbox-${support.id}`)
      const [row] = await getDb().select().from(mailboxes).where(eq(mailboxes.id, support.id))
      expect(row).toMatchObject({
        key: 'support',
        name: 'Help',
        address: 'help@acme.example',
        fromName: 'Acme Help',
        signature: 'Thanks!',
      })
      expect(await auditFor(workspace.id, 'mailbox.updated')).toEqual([
        {
          actorUserId: admin.user.id,
          targetId: support.id,
          data: {
            before: {
              name: 'Support',
              address: support.address,
              fromName: support.fromName,
              signature: '',
            },
            after: {
              name: 'Help',
              address: 'help@acme.example',
              fromName: 'Acme Help',
              signature: 'Thanks!',
            },
          },
        },
      ])
    })

    it('keeps a teammate’s change to a field this admin did not edit since the form was drawn', async () => {
      const { owner, admin, workspace } = await team()
      const support = await mailboxByKey(workspace.id, 'support')
      // Both pages drew the form with the same stored values.
      const drawn = drawnOf(support)
      const base = JSON.stringify(drawn)
      // The owner renames the mailbox; then the admin, whose page still shows the old name, saves a
      // signature.
      const renamed = await postMailboxes(owner, {
        intent: 'update',
        mailboxId: support.id,
        base,
        ...drawn,
        name: 'Customer care',
      })
      expect(renamed.status).toBe(200)
      const signed = await postMailboxes(admin, {
        intent: 'update',
        mailboxId: support.id,
        base,
        ...drawn,
        signature: 'Kind regards, the team',
      })
      expect(signed.status).toBe(200)
      expect(signed.data.notice).toBe('Mailbox “Customer care” saved.')
      const [row] = await getDb().select().from(mailboxes).where(eq(mailboxes.id, support.id))
      expect(row).toMatchObject({ name: 'Customer care', signature: 'Kind regards, the team' })
      // The admin's audit row has what was stored before it and what it saved.
      const audits = await auditFor(workspace.id, 'mailbox.updated')
      expect(audits.at(-1)).toMatchObject({
        actorUserId: admin.user.id,
        data: {
          before: { name: 'Customer care', signature: '' },
          after: { name: 'Customer care', signature: 'Kind regards, the team' },
        },
      })
      // The page draws the form again with both changes, and its base says so.
      const page = await loadMailboxes(admin)
      const shown = page.data.mailboxes.find((m: { id: string }) => m.id === support.id)
      expect(shown).toMatchObject({ name: 'Customer care', signature: 'Kind regards, the team' })
    })

    it('refuses an edited field a teammate changed meanwhile until the form showed it, and saves every field without a readable base', async () => {
      const { owner, admin, workspace } = await team()
      const support = await mailboxByKey(workspace.id, 'support')
      const drawn = drawnOf(support)
      const base = JSON.stringify(drawn)
      await postMailboxes(owner, {
        intent: 'update',
        mailboxId: support.id,
        base,
        ...drawn,
        fromName: 'Acme One',
      })
      const two = { intent: 'update', mailboxId: support.id, base, ...drawn, fromName: 'Acme Two' }
      const refused = await postMailboxes(admin, two)
      expect(refused.status).toBe(409)
      expect(refused.data.conflict).toEqual([{ name: 'fromName', value: 'Acme One' }])
      let [row] = await getDb().select().from(mailboxes).where(eq(mailboxes.id, support.id))
      expect(row!.fromName).toBe('Acme One')
      expect((await postMailboxes(admin, { ...two, replace: 'fromName' })).status).toBe(200)
      ;[row] = await getDb().select().from(mailboxes).where(eq(mailboxes.id, support.id))
      expect(row!.fromName).toBe('Acme Two')
      // A base that cannot be read (an edited page, an old one): every field as posted, as before.
      await postMailboxes(owner, { intent: 'update', mailboxId: support.id, ...drawn, signature: 'S1' })
      for (const unreadable of ['not json', '{"name":1}', JSON.stringify({ ...drawn, address: 'nope@' })]) {
        const result = await postMailboxes(admin, {
          intent: 'update',
          mailboxId: support.id,
          base: unreadable,
          ...drawn,
        })
        expect(result.status).toBe(200)
        ;[row] = await getDb().select().from(mailboxes).where(eq(mailboxes.id, support.id))
        expect(row).toMatchObject({ ...drawn })
        await postMailboxes(owner, { intent: 'update', mailboxId: support.id, ...drawn, signature: 'S1' })
      }
    })

    it('reads a multi-line field posted with CRLF (a browser without JavaScript) as unchanged, both ways', async () => {
      const { owner, admin, workspace } = await team()
      const support = await mailboxByKey(workspace.id, 'support')
      await postMailboxes(owner, {
        intent: 'update',
        mailboxId: support.id,
        ...drawnOf(support),
        signature: 'Sig one\nline two',
      })
      const drawn = drawnOf(await mailboxByKey(workspace.id, 'support'))
      // The owner changes the signature; the admin, whose page still shows the old one, renames
      // the mailbox without JavaScript: the browser posts the untouched signature with CRLF.
      await postMailboxes(owner, {
        intent: 'update',
        mailboxId: support.id,
        base: JSON.stringify(drawn),
        ...drawn,
        signature: 'Sig two\nline two',
      })
      await postMailboxes(admin, {
        intent: 'update',
        mailboxId: support.id,
        base: JSON.stringify(drawn),
        ...drawn,
        name: 'Support desk',
        signature: 'Sig one\r\nline two',
      })
      let row = await mailboxByKey(workspace.id, 'support')
      expect(row).toMatchObject({ name: 'Support desk', signature: 'Sig two\nline two' })
      // A value stored with CRLF before (drawn into a base as such) and posted with LF, untouched.
      await getDb().update(mailboxes).set({ signature: 'Old\r\nstyle' }).where(eq(mailboxes.id, support.id))
      const stale = drawnOf(await mailboxByKey(workspace.id, 'support'))
      await postMailboxes(owner, {
        intent: 'update',
        mailboxId: support.id,
        base: JSON.stringify(stale),
        ...stale,
        signature: 'Newest',
      })
      await postMailboxes(admin, {
        intent: 'update',
        mailboxId: support.id,
        base: JSON.stringify(stale),
        ...stale,
        signature: 'Old\nstyle',
        fromName: 'Support team',
      })
      row = await mailboxByKey(workspace.id, 'support')
      expect(row).toMatchObject({ fromName: 'Support team', signature: 'Newest' })
    })

    it('checks a name a teammate did not see against the other mailboxes, on what is saved', async () => {
      const { owner, admin, workspace } = await team()
      const support = await mailboxByKey(workspace.id, 'support')
      await postMailboxes(owner, { ...valid, name: 'Billing' })
      const drawn = drawnOf(support)
      // The admin edits only the signature; the owner meanwhile renamed Support, so the name
      // saved is the owner's, and no conflict is invented from the admin's stale name.
      await postMailboxes(owner, {
        intent: 'update',
        mailboxId: support.id,
        base: JSON.stringify(drawn),
        ...drawn,
        name: 'Helpdesk',
      })
      const result = await postMailboxes(admin, {
        intent: 'update',
        mailboxId: support.id,
        base: JSON.stringify(drawn),
        ...drawn,
        name: drawn.name,
        signature: 'Hi',
      })
      expect(result.status).toBe(200)
      // Renaming it to the other mailbox's name is still refused, with the field's message.
      const refused = await postMailboxes(admin, {
        intent: 'update',
        mailboxId: support.id,
        base: JSON.stringify({ ...drawn, name: 'Helpdesk', signature: 'Hi' }),
        ...drawn,
        name: 'billing',
        signature: 'Hi',
      })
      expect(refused.status).toBe(400)
      expect(refused.data.result.error.name).toBeDefined()
      const [row] = await getDb().select().from(mailboxes).where(eq(mailboxes.id, support.id))
      expect(row).toMatchObject({ name: 'Helpdesk', signature: 'Hi' })
    })

    it.each([
      ['a bad address', { address: 'nope@' }, 'address'],
      ['an empty name', { name: '' }, 'name'],
      ['a malformed mailbox id', { mailboxId: "1' or 1=1 --" }, 'mailboxId'],
    ])('rejects %s and writes nothing', async (_, form, field) => {
      const { owner, workspace } = await team()
      const support = await mailboxByKey(workspace.id, 'support')
      const before = await snapshot(workspace.id)
      const result = await postMailboxes(owner, {
        intent: 'update',
        mailboxId: support.id,
        name: 'Help',
        address: 'help@acme.example',
        fromName: 'Acme Help',
        ...form,
      })
      expect(result.status).toBe(400)
      expect(result.data.result.error[field]).toBeDefined()
      expect(await snapshot(workspace.id)).toEqual(before)
    })
  })

  describe('archiving', () => {
    it('archives and restores a mailbox, recording both', async () => {
      const { owner, workspace } = await team()
      await postMailboxes(owner, { ...valid, key: 'billing' })
      const billing = await mailboxByKey(workspace.id, 'billing')

      const archived = await postMailboxes(owner, { intent: 'archive', mailboxId: billing.id })
      expect(archived.status).toBe(200)
      expect(archived.data.notice).toBe('Mailbox archived.')
      expect((await mailboxByKey(workspace.id, 'billing')).archivedAt).toBeInstanceOf(Date)
      const page = await loadMailboxes(owner)
      expect(page.data.mailboxes.find((m: { id: string }) => m.id === billing.id).archivedAt).toEqual(
        expect.any(String),
      )

      const restored = await postMailboxes(owner, { intent: 'unarchive', mailboxId: billing.id })
      expect(restored.status).toBe(200)
      expect((await mailboxByKey(workspace.id, 'billing')).archivedAt).toBeNull()
      for (const action of ['mailbox.archived', 'mailbox.unarchived']) {
        expect(await auditFor(workspace.id, action)).toEqual([
          { actorUserId: owner.user.id, targetId: billing.id, data: {} },
        ])
      }
    })

    it('refuses to archive the last active mailbox, with a message, writing nothing', async () => {
      const { owner, workspace } = await team()
      await postMailboxes(owner, { ...valid, key: 'billing' })
      const billing = await mailboxByKey(workspace.id, 'billing')
      const support = await mailboxByKey(workspace.id, 'support')
      expect((await postMailboxes(owner, { intent: 'archive', mailboxId: billing.id })).status).toBe(200)

      const before = await snapshot(workspace.id)
      const result = await postMailboxes(owner, { intent: 'archive', mailboxId: support.id })
      expect(result.status).toBe(400)
      expect(result.data.result.error['']).toEqual([
        'The last active mailbox cannot be archived. Create another one first.',
      ])
      expect(await snapshot(workspace.id)).toEqual(before)
    })

    it('treats archiving an archived mailbox and restoring an active one as no-ops', async () => {
      const { owner, workspace } = await team()
      await postMailboxes(owner, { ...valid, key: 'billing' })
      const billing = await mailboxByKey(workspace.id, 'billing')
      await postMailboxes(owner, { intent: 'archive', mailboxId: billing.id })
      const support = await mailboxByKey(workspace.id, 'support')
      const before = await snapshot(workspace.id)
      expect((await postMailboxes(owner, { intent: 'archive', mailboxId: billing.id })).status).toBe(200)
      expect((await postMailboxes(owner, { intent: 'unarchive', mailboxId: support.id })).status).toBe(200)
      expect(await snapshot(workspace.id)).toEqual(before)
    })
  })

  describe('an agent', () => {
    it.each([
      ['create', () => valid],
      ['update', (id: string) => ({ ...valid, intent: 'update', mailboxId: id })],
      ['archive', (id: string) => ({ intent: 'archive', mailboxId: id })],
      ['unarchive', (id: string) => ({ intent: 'unarchive', mailboxId: id })],
    ])('is forbidden to %s, and nothing is written', async (_, form) => {
      const { agent, workspace } = await team()
      const support = await mailboxByKey(workspace.id, 'support')
      const before = await snapshot(workspace.id)
      const result = await postMailboxes(agent, form(support.id))
      expect(result.status).toBe(403)
      expect(await snapshot(workspace.id)).toEqual(before)
    })
  })

  describe('tenancy', () => {
    it('answers 404 to a member of another workspace, on the page and on every action', async () => {
      const a = await createMember('owner')
      const b = await createMember('owner')
      const bSupport = await mailboxByKey(b.workspace.id, 'support')
      expect((await loadMailboxes(a, b.workspace.slug)).status).toBe(404)
      const before = await snapshot(b.workspace.id)
      for (const form of [
        valid,
        { ...valid, intent: 'update', mailboxId: bSupport.id },
        { intent: 'archive', mailboxId: bSupport.id },
      ]) {
        expect((await postMailboxes(a, form, b.workspace.slug)).status).toBe(404)
      }
      expect(await snapshot(b.workspace.id)).toEqual(before)
    })

    it.each([
      ['update', (id: string) => ({ ...valid, intent: 'update', mailboxId: id })],
      ['archive', (id: string) => ({ intent: 'archive', mailboxId: id })],
      ['unarchive', (id: string) => ({ intent: 'unarchive', mailboxId: id })],
    ])(
      "answers 404 to %s another workspace's mailbox through one's own, changing nothing",
      async (_, form) => {
        const a = await createMember('owner')
        const b = await createMember('owner')
        // B has two mailboxes and one archived, so archive and unarchive would both have an effect.
        await postMailboxes(b, { ...valid, key: 'billing' })
        const bBilling = await mailboxByKey(b.workspace.id, 'billing')
        const bSupport = await mailboxByKey(b.workspace.id, 'support')
        await postMailboxes(b, { intent: 'archive', mailboxId: bBilling.id })
        const target = form('').intent === 'unarchive' ? bBilling : bSupport
        const beforeA = await snapshot(a.workspace.id)
        const beforeB = await snapshot(b.workspace.id)
        const result = await postMailboxes(a, form(target.id))
        expect(result.status).toBe(404)
        expect(await snapshot(a.workspace.id)).toEqual(beforeA)
        expect(await snapshot(b.workspace.id)).toEqual(beforeB)
      },
    )
  })
})
