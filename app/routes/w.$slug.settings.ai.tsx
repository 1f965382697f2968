import { getFormProps, getInputProps } from '@conform-to/react'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { savedResult, useDrawnValues } from '#app/utils/use-drawn-values.ts'
import { conflictIn, onOff, TeammateEdits } from '#app/components/ui/teammate-saved.tsx'
import { teammateConflict } from '#app/http/teammate-conflict.server.ts'
import { AI_FEATURE_LABEL, AI_FEATURES, AI_MESSAGES } from '#app/ai/features.ts'
import {
  AI_MODEL_MAX,
  AiSettingsSchema,
  aiSettingsFormBase,
  aiSettingsFormValues,
  parseAiSettingsBase,
} from '#app/ai/schemas.ts'
import { TRIAGE_MODE_LABEL, TRIAGE_MODES } from '#app/ai/triage-vocabulary.ts'
import { saveAiSettings } from '#app/ai/settings.server.ts'
import { loadAiSettingsPage } from '#app/ai/usage.server.ts'
import { UsageChart } from '#app/components/ai/usage-chart.tsx'
import { Notice } from '#app/components/ui/notice.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { Field, FormErrors } from '#app/components/ui/field.tsx'
import { requireMember } from '#app/http/auth.server.ts'
import type { RoleHandle } from '#app/utils/roles.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'
import { keepPageWhenUnanswered, unansweredErrors } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'

export const meta: MetaFunction = () => [{ title: 'AI settings · Switchboard' }]

/** Admins only (the loader's guard): a tab demoted while open leaves for the inbox (roles.ts). */
export const handle: RoleHandle = { role: 'admin' }

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug, 'admin')
  return loadAiSettingsPage(member.workspaceId)
}

export async function action({ request, params }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug, 'admin')
  const submission = parseSubmission(await readForm(request), { schema: AiSettingsSchema })
  if (submission.status !== 'success') {
    return data({ result: submission.reply(), notice: null }, { status: 400 })
  }
  const input = submission.value
  const outcome = await saveAiSettings(
    member,
    {
      features: Object.fromEntries(AI_FEATURES.map((f) => [f, input[`feature_${f}`] === 'on'])) as Record<
        (typeof AI_FEATURES)[number],
        boolean
      >,
      model: input.model || undefined,
      monthlyTokenBudget: input.monthlyTokenBudget,
      debugLogging: input.debugLogging === 'on',
      triageMode: input.triageMode,
    },
    parseAiSettingsBase(input.base),
    input.replace,
  )
  if (outcome.kind === 'teammate-saved') return teammateConflict(submission, outcome.fields, { notice: null })
  // Reset: the form is drawn again from what is stored, which may hold a teammate's change.
  return { result: submission.reply({ resetForm: true }), notice: 'AI settings saved.' }
}

/** With JavaScript, a post that gets no answer (offline) says so; the form keeps what was typed. */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

const number = new Intl.NumberFormat('en')

export default function AiSettings() {
  const page = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const { settings } = page
  const budget = settings.monthlyTokenBudget
  return (
    <div className="space-y-10">
      <Notice>{actionData?.notice}</Notice>
      <section className="space-y-2">
        <h2 className="text-lg font-medium">AI assist</h2>
        {page.configured ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Drafts, rewrites, translations, summaries and triage suggestions from a language model. The agent
            always decides: nothing is sent or changed without them. What is sent to the model is described in
            docs/ai.md.
          </p>
        ) : (
          <p className="rounded-md bg-amber-50 p-3 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100">
            {AI_MESSAGES.notConfigured.replace(' — see Settings → AI', '')}: the server has neither{' '}
            <code>OPENAI_API_KEY</code> nor <code>OPENAI_BASE_URL</code>. Set a key for OpenAI, or the base
            URL of an OpenAI-compatible server (Ollama, vLLM, llama.cpp), and restart. The settings below
            apply once it is.
          </p>
        )}
        <BudgetStanding page={page} budget={budget} />
      </section>

      <SettingsForm settings={settings} actionData={actionData} />

      <section className="space-y-3">
        <h2 className="text-lg font-medium">Usage, last 30 days</h2>
        <UsageChart days={page.days} />
        {page.byFeature.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">No AI calls in the last 30 days.</p>
        ) : (
          <table className="w-full text-left text-sm">
            <thead>
              <tr className="border-b border-slate-200 dark:border-slate-800">
                <th className="py-1 font-medium">Feature</th>
                <th className="py-1 text-right font-medium">Calls</th>
                <th className="py-1 text-right font-medium">Tokens in</th>
                <th className="py-1 text-right font-medium">Tokens out</th>
                <th className="py-1 text-right font-medium">Latency p50</th>
                <th className="py-1 text-right font-medium">Latency p95</th>
                <th className="py-1 text-right font-medium">Failures</th>
              </tr>
            </thead>
            <tbody>
              {page.byFeature.map((row) => (
                <tr key={row.feature} className="border-b border-slate-100 dark:border-slate-900">
                  <td className="py-1">{AI_FEATURE_LABEL[row.feature]}</td>
                  <td className="py-1 text-right">{number.format(row.calls)}</td>
                  <td className="py-1 text-right">{number.format(row.tokensIn)}</td>
                  <td className="py-1 text-right">{number.format(row.tokensOut)}</td>
                  <td className="py-1 text-right">{number.format(row.p50)} ms</td>
                  <td className="py-1 text-right">{number.format(row.p95)} ms</td>
                  <td className="py-1 text-right">{number.format(row.failures)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  )
}

/**
 * The month's tokens as the next call's gate counts them: used (of which estimated, where the
 * server reported no usage), held by calls under way, and whether a call would be refused now.
 */
function BudgetStanding({
  page,
  budget,
}: {
  page: Pick<
    ReturnType<typeof useLoaderData<typeof loader>>,
    'usedThisMonth' | 'estimatedThisMonth' | 'heldNow' | 'budgetStanding'
  >
  budget: number | null
}) {
  return (
    <div className="space-y-1 text-sm" data-testid="ai-budget">
      <p>
        Tokens used this month: <strong>{number.format(page.usedThisMonth)}</strong>
        {budget === null ? ' (no monthly budget)' : ` of ${number.format(budget)}`}
        {page.estimatedThisMonth > 0
          ? `, of which ~${number.format(page.estimatedThisMonth)} estimated (the AI server reported no usage for those calls: about 4 characters a token, reasoning not included)`
          : ''}
        .
      </p>
      {page.heldNow > 0 ? (
        <p>
          Calls under way hold {number.format(page.heldNow)} more tokens (each call&apos;s largest cost, until
          it ends).
        </p>
      ) : null}
      {page.budgetStanding === 'spent' ? (
        <p className="font-medium text-amber-800 dark:text-amber-300">{AI_MESSAGES.budgetUsed}</p>
      ) : page.budgetStanding === 'held' ? (
        <p className="font-medium text-amber-800 dark:text-amber-300">
          No budget left while calls under way hold the rest: new AI calls are refused until they end.
        </p>
      ) : null}
    </div>
  )
}

/** The settings form, drawn with what is stored (and, after a refused post, what was posted). */
function SettingsForm({
  settings,
  actionData,
}: {
  settings: ReturnType<typeof useLoaderData<typeof loader>>['settings']
  actionData: ReturnType<typeof useActionData<typeof action>>
}) {
  const navigation = useNavigation()
  // The saved settings are only the form's starting values: after a refused post (without
  // JavaScript too) every control shows what was submitted, next to its error.
  const stored = aiSettingsFormValues(settings)
  const [form, fields] = useSchemaForm(AiSettingsSchema, {
    id: 'ai-settings',
    lastResult: actionData?.result,
    shouldRevalidate: 'onSubmit',
    defaultValue: stored,
  })
  // A teammate's save seen on this page's next load (the form is no longer drawn anew, which
  // dropped what was being changed in it): see useDrawnValues.
  const { drawn, overwritten } = useDrawnValues('ai-settings', stored, {
    saved: savedResult(actionData?.result),
    update: form.update,
  })
  const initial = form.initialValue as Record<string, unknown> | undefined
  return (
    <Form method="post" {...getFormProps(form)} className="space-y-6">
      {/* What the form was drawn with: a control left as drawn keeps a teammate's save since. */}
      <input type="hidden" name="base" value={aiSettingsFormBase(drawn)} />
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium">Features</legend>
        {AI_FEATURES.map((f) => (
          <label key={f} className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              name={`feature_${f}`}
              defaultChecked={initial?.[`feature_${f}`] === 'on'}
            />
            {AI_FEATURE_LABEL[f]}
          </label>
        ))}
      </fieldset>
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium">When Triage is on, new tickets get</legend>
        {TRIAGE_MODES.map((m) => (
          <label key={m} className="flex items-center gap-2 text-sm">
            <input
              type="radio"
              name="triageMode"
              value={m}
              defaultChecked={fields.triageMode.initialValue === m}
            />
            {TRIAGE_MODE_LABEL[m]}
          </label>
        ))}
        <p className="text-xs text-slate-500 dark:text-slate-400">
          Triage off: untick Triage above. Tags are only ever chosen from this workspace's existing tags.
        </p>
      </fieldset>
      <Field
        label="Model"
        hint={`Leave empty for the server's default: ${settings.defaultModel}`}
        inputProps={{
          ...getInputProps(fields.model, { type: 'text' }),
          maxLength: AI_MODEL_MAX,
          placeholder: settings.defaultModel,
        }}
        errors={fields.model.errors}
      />
      <Field
        label="Monthly token budget"
        hint="Input and output tokens of all AI calls in a calendar month (UTC). Empty: no limit."
        inputProps={{
          ...getInputProps(fields.monthlyTokenBudget, { type: 'number' }),
          min: 0,
          step: 1,
        }}
        errors={fields.monthlyTokenBudget.errors}
      />
      <label className="flex items-start gap-2 text-sm">
        <input
          type="checkbox"
          name="debugLogging"
          defaultChecked={fields.debugLogging.initialValue === 'on'}
          className="mt-1"
        />
        <span>
          Keep prompts and answers in the AI log for 24 hours (debugging; they contain customer messages).
          {settings.debugUntil ? (
            <span className="block text-slate-500 dark:text-slate-400">
              On until {settings.debugUntil.toISOString().replace('T', ' ').slice(0, 16)} UTC.
            </span>
          ) : null}
        </span>
      </label>
      <TeammateEdits
        stored={stored}
        overwritten={overwritten}
        conflict={conflictIn(actionData)}
        label={aiFieldLabel}
        shown={aiFieldShown}
      />
      <Button type="submit" pending={navigation.state === 'submitting'}>
        Save AI settings
      </Button>
      <FormErrors id={form.errorId} errors={unansweredErrors(actionData) ?? form.errors} />
    </Form>
  )
}

/** A field of the AI settings form as the teammate notice names it. */
function aiFieldLabel(name: string) {
  const feature = AI_FEATURES.find((f) => name === `feature_${f}`)
  if (feature) return `the ${AI_FEATURE_LABEL[feature]} feature`
  const labels: Record<string, string> = {
    triageMode: 'what Triage does',
    model: 'the model',
    monthlyTokenBudget: 'the monthly token budget',
    debugLogging: 'debug logging',
  }
  return labels[name] ?? name
}

/** A stored value of the AI settings form as the teammate notice quotes it. */
function aiFieldShown(name: string, value: string | string[]) {
  if (name.startsWith('feature_') || name === 'debugLogging') return onOff(value)
  if (name === 'model' && !value) return "the server's default"
  return value
}
