import { getFormProps, getInputProps, getSelectProps } from '@conform-to/react'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { z } from 'zod'
import { API_SCOPES, SCOPE_DESCRIPTIONS, TOKEN_EXPIRY_CHOICES } from '#app/utils/api-scopes.ts'
import { EmptyState } from '#app/components/ui/empty-state.tsx'
import { ShownOnce } from '#app/components/ui/shown-once.tsx'
import { Notice } from '#app/components/ui/notice.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { ConfirmButton, ConfirmStepPage } from '#app/components/ui/confirm-dialog.tsx'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { askToConfirm, confirmStepOf, isConfirmed, withoutConfirmStep } from '#app/utils/confirmation.ts'
import { CheckboxGroupField, CodeOption, Field, FormErrors, SelectField } from '#app/components/ui/field.tsx'
import { errorsNoControlShows } from '#app/utils/unshown-errors.ts'
import {
  createApiToken,
  listApiTokens,
  OWNER_TOKEN_REFUSED,
  revokeApiToken,
} from '#app/domain/api-tokens.server.ts'
import { forbidden } from '#app/domain/errors.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import type { RoleHandle } from '#app/utils/roles.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'
import { useFormatters } from '#app/utils/use-formatters.ts'
import { displayName } from '#app/utils/schemas.ts'
import { keepPageWhenUnanswered } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { useUnansweredForm } from '#app/utils/unanswered-form.ts'

export const meta: MetaFunction = () => [{ title: 'API tokens · Switchboard' }]

const TOKEN_NAME_MAX = 100
const CreateSchema = z.object({
  intent: z.literal('create'),
  name: displayName('Name', TOKEN_NAME_MAX),
  scopes: z
    .array(z.enum(API_SCOPES, { error: 'Unknown scope' }), { error: 'Choose at least one scope' })
    .min(1, { error: 'Choose at least one scope' }),
  expiresIn: z.enum(TOKEN_EXPIRY_CHOICES, { error: 'Choose when the token expires' }),
})
const ActionSchema = z.discriminatedUnion('intent', [
  CreateSchema,
  z.object({ intent: z.literal('revoke'), tokenId: z.uuid({ error: 'Unknown token' }) }),
])

const EXPIRY_LABEL: Record<(typeof TOKEN_EXPIRY_CHOICES)[number], string> = {
  '7': '7 days',
  '30': '30 days',
  '90': '90 days',
  '365': '1 year',
  never: 'Never',
}

/** Admins only (the loader's guard): a tab demoted while open leaves for the inbox (roles.ts). */
export const handle: RoleHandle = { role: 'admin' }

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug, 'admin')
  const tokens = await listApiTokens(member)
  return {
    tokens: tokens.map((t) => ({
      id: t.id,
      name: t.name,
      prefix: t.prefix,
      scopes: t.scopes,
      createdByName: t.createdByName,
      createdByRole: t.creatorRole,
      revocable: t.revocable,
      createdAt: t.createdAt.toISOString(),
      expiresAt: t.expiresAt?.toISOString() ?? null,
      lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
      lastUsedIp: t.lastUsedIp,
      state: t.state,
    })),
  }
}

export async function action({ request, params }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug, 'admin')
  const form = await readForm(request)
  const submission = parseSubmission(form, { schema: ActionSchema })
  if (submission.status !== 'success') {
    return data({ result: submission.reply(), created: null, notice: null }, { status: 400 })
  }
  const input = submission.value
  if (input.intent === 'revoke') {
    if (!isConfirmed(form)) {
      // The page without JavaScript names what it removes (this workspace's tokens only: 404 otherwise).
      const token = (await listApiTokens(member)).find((t) => t.id === input.tokenId)
      if (!token) throw new Response('No such API token', { status: 404 })
      // Not even the confirm step for an owner's token (revokeApiToken refuses it again under lock).
      if (!token.revocable) throw forbidden(OWNER_TOKEN_REFUSED)
      return askToConfirm({
        title: `Revoke the API token “${token.name}”?`,
        description: 'Anything using it stops working at once. This cannot be undone.',
        confirmLabel: 'Revoke',
        fields: [
          ['intent', 'revoke'],
          ['tokenId', input.tokenId],
        ],
      })
    }
    await revokeApiToken(member, input.tokenId)
    return { result: submission.reply(), created: null, notice: 'Token revoked. It stops working at once.' }
  }
  const created = await createApiToken(member, {
    name: input.name,
    scopes: input.scopes,
    expiresInDays: input.expiresIn === 'never' ? undefined : Number(input.expiresIn),
  })
  // The only time the token is ever shown: it is stored as a hash.
  return {
    result: submission.reply({ resetForm: true }),
    created: { name: input.name, token: created.token },
    notice: null,
  }
}

/** With JavaScript, a post that gets no answer (offline) says so; the form keeps what was typed. */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

export default function ApiTokensSettings() {
  const { tokens } = useLoaderData<typeof loader>()
  const actionData = withoutConfirmStep(useActionData<typeof action>())
  const confirmStep = confirmStepOf(useActionData<typeof action>())
  const notSentTo = useUnansweredForm(actionData)
  if (confirmStep) return <ConfirmStepPage step={confirmStep} />
  return (
    <div className="space-y-10">
      <Notice>{actionData?.notice}</Notice>
      {/* A revoke refused, an unknown intent: the create form shows only its own fields. */}
      <FormErrors
        id="api-tokens-errors"
        errors={
          notSentTo({ intent: 'revoke' }) ??
          errorsNoControlShows(actionData?.result, ['name', 'scopes', 'expiresIn'])
        }
      />
      {actionData?.created ? (
        <ShownOnce
          id="new-token"
          heading={`Token “${actionData.created.name}” created`}
          label="New API token"
          value={actionData.created.token}
        />
      ) : null}
      <section>
        <h2 className="text-lg font-medium">API tokens</h2>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
          Tokens let scripts and integrations use the <a href="/api/docs">REST API</a>. A token acts as the
          person who created it, with their role in this workspace at most, and stops working if they leave
          it.
        </p>
        {tokens.length === 0 ? <EmptyState>No API tokens yet.</EmptyState> : <TokenTable tokens={tokens} />}
      </section>
      <CreateTokenForm notSent={notSentTo({ intent: 'create' })} />
    </div>
  )
}

type TokenRow = ReturnType<typeof useLoaderData<typeof loader>>['tokens'][number]

const STATE_LABEL: Record<TokenRow['state'], string> = {
  active: 'Active',
  revoked: 'Revoked',
  expired: 'Expired',
  disabled: 'Disabled (creator left)',
}

function TokenTable({ tokens }: { tokens: TokenRow[] }) {
  const format = useFormatters()
  const navigation = useNavigation()
  const revoking = navigation.state === 'submitting' ? navigation.formData?.get('tokenId') : null
  return (
    // `relative`: the header's sr-only "Actions" is absolutely positioned; without a containing
    // block here it escaped this box's scrolling and widened the page (498 px at 390).
    <div className="relative mt-4 overflow-x-auto">
      <table className="w-full text-left text-sm">
        <thead className="text-xs text-slate-500 uppercase dark:text-slate-400">
          <tr>
            <th className="py-2 pr-4">Name</th>
            <th className="py-2 pr-4">Token</th>
            <th className="py-2 pr-4">Scopes</th>
            <th className="py-2 pr-4">Created by</th>
            <th className="py-2 pr-4">Last used</th>
            <th className="py-2 pr-4">Expires</th>
            <th className="py-2">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
          {tokens.map((t) => (
            <tr key={t.id}>
              <td className="py-2 pr-4 font-medium">
                {t.name}
                {t.state === 'active' ? null : (
                  <span className="ml-2 text-xs text-slate-500">{STATE_LABEL[t.state]}</span>
                )}
              </td>
              <td className="py-2 pr-4 font-mono text-xs">{t.prefix}…</td>
              <td className="py-2 pr-4 text-xs">{t.scopes.join(', ')}</td>
              <td className="py-2 pr-4">
                {t.createdByName}
                {t.createdByRole ? (
                  <span className="ml-1 text-xs text-slate-500">({t.createdByRole})</span>
                ) : null}
                <div className="text-xs text-slate-500">{format.dateTime(t.createdAt)}</div>
              </td>
              <td className="py-2 pr-4">
                {t.lastUsedAt ? (
                  <>
                    {format.dateTime(t.lastUsedAt)}
                    <div className="text-xs text-slate-500">{t.lastUsedIp}</div>
                  </>
                ) : (
                  'Never'
                )}
              </td>
              <td className="py-2 pr-4">{t.expiresAt ? format.dateTime(t.expiresAt) : 'Never'}</td>
              <td className="py-2">
                {t.state === 'revoked' ? null : !t.revocable ? (
                  // The members page's rule: an admin never acts on an owner, nor on their tokens.
                  <span className="text-xs text-slate-500">Only an owner can revoke an owner’s token.</span>
                ) : (
                  <Form method="post">
                    <input type="hidden" name="intent" value="revoke" />
                    <input type="hidden" name="tokenId" value={t.id} />
                    <ConfirmButton
                      title={`Revoke the token “${t.name}”?`}
                      description="Anything using it stops working at once. This cannot be undone."
                      confirmLabel="Revoke"
                      pending={revoking === t.id}
                      aria-label={`Revoke ${t.name}`}
                    >
                      Revoke
                    </ConfirmButton>
                  </Form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** `notSent`: its last post got no answer (offline); what was chosen and typed stays. */
function CreateTokenForm({ notSent }: { notSent?: string[] }) {
  const actionData = withoutConfirmStep(useActionData<typeof action>())
  const navigation = useNavigation()
  const pending = navigation.state === 'submitting' && navigation.formData?.get('intent') === 'create'
  const [form, fields] = useSchemaForm(CreateSchema, {
    id: 'new-api-token',
    lastResult: actionData?.result,
    defaultValue: { scopes: ['tickets:read'], expiresIn: '90' },
  })
  const scopeErrors = fields.scopes.errors
  return (
    <section className="max-w-2xl">
      <h2 className="text-lg font-medium">New API token</h2>
      <Form method="post" {...getFormProps(form)} className="mt-3 space-y-3">
        <input type="hidden" name="intent" value="create" />
        <Field
          label="Name"
          inputProps={{
            ...getInputProps(fields.name, { type: 'text' }),
            maxLength: TOKEN_NAME_MAX,
            placeholder: 'CRM sync',
          }}
          errors={fields.name.errors}
        />
        <CheckboxGroupField
          legend="Scopes"
          name={fields.scopes.name}
          errorId="scopes-error"
          options={API_SCOPES.map((scope) => ({
            value: scope,
            label: <CodeOption code={scope}>{SCOPE_DESCRIPTIONS[scope]}</CodeOption>,
          }))}
          checked={fields.scopes.initialValue}
          errors={scopeErrors}
        />
        <SelectField
          label="Expires after"
          selectProps={getSelectProps(fields.expiresIn)}
          errors={fields.expiresIn.errors}
        >
          {TOKEN_EXPIRY_CHOICES.map((choice) => (
            <option key={choice} value={choice}>
              {EXPIRY_LABEL[choice]}
            </option>
          ))}
        </SelectField>
        <Button type="submit" pending={pending}>
          Create token
        </Button>
        <FormErrors id={form.errorId} errors={notSent} />
      </Form>
    </section>
  )
}
