import { describe, expect, it } from 'vitest'
import { getAiSettings } from '#app/ai/settings.server.ts'
import { aiSettingsBase } from '#app/ai/schemas.ts'
import * as aiRoute from '#app/routes/w.$slug.settings.ai.tsx'
import { createMember } from '#tests/helpers/factories.ts'
import { auditFor } from '#tests/helpers/db-reads.ts'
import { callAction } from '#tests/helpers/routes.ts'

type Actor = Awaited<ReturnType<typeof createMember>>

function postSettings(actor: Actor, form: Record<string, string>) {
  const slug = actor.workspace.slug
  return callAction(aiRoute, `/w/${slug}/settings/ai`, form, { cookie: actor.cookie, params: { slug } })
}

/** The form's fields as a page drawn with the stored settings posts them, unchanged. */
async function asDrawn(workspaceId: string) {
  const settings = await getAiSettings(workspaceId)
  const form: Record<string, string> = { base: aiSettingsBase(settings) }
  for (const [feature, on] of Object.entries(settings.features)) if (on) form[`feature_${feature}`] = 'on'
  form.model = settings.modelOverride ?? ''
  form.monthlyTokenBudget = settings.monthlyTokenBudget === null ? '' : String(settings.monthlyTokenBudget)
  if (settings.debugUntil) form.debugLogging = 'on'
  form.triageMode = settings.triageMode
  return form
}

describe('AI settings saved by two admins', () => {
  it('keep each other’s changes to the controls the other did not touch', async () => {
    const owner = await createMember('owner')
    const admin = await createMember('admin', owner.workspace)
    const drawn = await asDrawn(owner.workspace.id)
    expect(drawn.feature_draft).toBe('on')
    // The owner turns drafting off; the admin, whose page still shows it on, sets a budget and a model.
    const { feature_draft: _draft, ...withoutDraft } = drawn
    expect((await postSettings(owner, withoutDraft)).status).toBe(200)
    const saved = await postSettings(admin, { ...drawn, monthlyTokenBudget: '5000', model: 'small-model' })
    expect(saved.status).toBe(200)
    const settings = await getAiSettings(owner.workspace.id)
    expect(settings.features.draft).toBe(false)
    expect(settings).toMatchObject({ monthlyTokenBudget: 5000, modelOverride: 'small-model' })
    expect((await auditFor(owner.workspace.id, 'ai.settings-changed')).at(-1)).toMatchObject({
      actorUserId: admin.user.id,
      data: { features: expect.objectContaining({ draft: false }), monthlyTokenBudget: 5000 },
    })
    // A control both changed is not saved over the teammate's change unseen (409, naming it), and
    // is once the admin's form showed it (settings-teammate-conflicts.test.ts has the whole race).
    const again = await asDrawn(owner.workspace.id)
    await postSettings(owner, { ...again, monthlyTokenBudget: '100' })
    const refused = await postSettings(admin, { ...again, monthlyTokenBudget: '200' })
    expect(refused.status).toBe(409)
    expect(refused.data.conflict).toEqual([{ name: 'monthlyTokenBudget', value: '100' }])
    expect((await getAiSettings(owner.workspace.id)).monthlyTokenBudget).toBe(100)
    await postSettings(admin, { ...again, monthlyTokenBudget: '200', replace: 'monthlyTokenBudget' })
    expect((await getAiSettings(owner.workspace.id)).monthlyTokenBudget).toBe(200)
    // Emptied model and budget (the defaults) count as changes too.
    const third = await asDrawn(owner.workspace.id)
    await postSettings(admin, { ...third, model: '', monthlyTokenBudget: '' })
    expect(await getAiSettings(owner.workspace.id)).toMatchObject({
      modelOverride: null,
      monthlyTokenBudget: null,
    })
  })

  it('keeps debug logging and the triage mode a teammate set, and saves everything as posted without a readable base', async () => {
    const owner = await createMember('owner')
    const admin = await createMember('admin', owner.workspace)
    const drawn = await asDrawn(owner.workspace.id)
    await postSettings(owner, { ...drawn, debugLogging: 'on', triageMode: 'auto-apply' })
    const on = await getAiSettings(owner.workspace.id)
    expect(on.debugUntil).not.toBeNull()
    await postSettings(admin, { ...drawn, model: 'other-model' })
    const kept = await getAiSettings(owner.workspace.id)
    expect(kept).toMatchObject({ triageMode: 'auto-apply', modelOverride: 'other-model' })
    // Debug logging kept, and its 24 hours not restarted.
    expect(kept.debugUntil?.getTime()).toBe(on.debugUntil?.getTime())
    for (const base of ['not json', '{"features":{}}']) {
      const { debugLogging: _debug, ...off } = drawn
      await postSettings(admin, { ...off, base, triageMode: 'suggest' })
      expect(await getAiSettings(owner.workspace.id)).toMatchObject({
        triageMode: 'suggest',
        debugUntil: null,
        modelOverride: null,
      })
      await postSettings(owner, { ...drawn, debugLogging: 'on', triageMode: 'auto-apply' })
    }
  })
})
