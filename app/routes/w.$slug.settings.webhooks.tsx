import { getFormProps, getInputProps, type SubmissionResult } from '@conform-to/react'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { EmptyState } from '#app/components/ui/empty-state.tsx'
import { ShownOnce } from '#app/components/ui/shown-once.tsx'
import { Notice } from '#app/components/ui/notice.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { CheckboxGroupField, CodeOption, Field, FormErrors } from '#app/components/ui/field.tsx'
import { errorsNoControlShows } from '#app/utils/unshown-errors.ts'
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  handSentLimitMessage,
  type HandSentRefusal,
  listWebhookDeliveries,
  listWebhookEndpoints,
  redeliverWebhook,
  rotateWebhookSecret,
  rotationPendingMessage,
  sendTestEvent,
  setWebhookEndpointEnabled,
  updateWebhookEndpoint,
  URL_TAKEN_MESSAGE,
} from '#app/domain/webhooks.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import type { RoleHandle } from '#app/utils/roles.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { savedResult, useDrawnValues } from '#app/utils/use-drawn-values.ts'
import { conflictIn, onOff, TeammateEdits } from '#app/components/ui/teammate-saved.tsx'
import { teammateConflict } from '#app/http/teammate-conflict.server.ts'
import { useFormatters } from '#app/utils/use-formatters.ts'
import { keepPageWhenUnanswered, unansweredErrors } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { useUnansweredForm } from '#app/utils/unanswered-form.ts'
import {
  parseWebhookEndpointBase,
  WEBHOOK_EVENT_DESCRIPTIONS,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_DESCRIPTION_MAX,
  WEBHOOK_URL_MAX,
  WebhookEndpointForm,
  webhookEndpointBase,
} from '#app/utils/webhook-schemas.ts'
import { ConfirmButton, ConfirmStepPage } from '#app/components/ui/confirm-dialog.tsx'
import { askToConfirm, confirmStepOf, isConfirmed, withoutConfirmStep } from '#app/utils/confirmation.ts'

export const meta: MetaFunction = () => [{ title: 'Webhooks · Switchboard' }]

/** Deliveries shown per endpoint. */
const SHOWN_DELIVERIES = 10

/** Admins only (the loader's guard): a tab demoted while open leaves for the inbox (roles.ts). */
export const handle: RoleHandle = { role: 'admin' }

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug, 'admin')
  const endpoints = await listWebhookEndpoints(member)
  return {
    endpoints: await Promise.all(
      endpoints.map(async (e) => ({
        id: e.id,
        url: e.url,
        description: e.description,
        events: e.events,
        includeNotes: e.includeNotes,
        failingSince: e.failingSince?.toISOString() ?? null,
        disabledAt: e.disabledAt?.toISOString() ?? null,
        disabledReason: e.disabledReason,
        addedBy: addedBy(e),
        previousSecretExpiresAt:
          e.previousSecretExpiresAt && e.previousSecretExpiresAt > new Date()
            ? e.previousSecretExpiresAt.toISOString()
            : null,
        deliveries: (await listWebhookDeliveries(member, e.id, SHOWN_DELIVERIES)).map((d) => ({
          id: d.id,
          eventType: d.eventType,
          status: d.status,
          attempts: d.attempts,
          responseStatus: d.responseStatus,
          responseSnippet: d.responseSnippet,
          latencyMs: d.latencyMs,
          error: d.error,
          createdAt: d.createdAt.toISOString(),
          nextAttemptAt: d.status === 'pending' ? (d.nextAttemptAt?.toISOString() ?? null) : null,
        })),
      })),
    ),
  }
}

/** Who added the endpoint, as the page names them: a removed member's endpoint keeps delivering. */
function addedBy(e: { addedByName: string | null; addedByMember: boolean }) {
  if (e.addedByName === null) return 'Added by a former member'
  return e.addedByMember ? `Added by ${e.addedByName}` : `Added by ${e.addedByName}, no longer a member`
}

type ActionResult = {
  result: SubmissionResult<string[]>
  /** The endpoint whose form answered (its edit form shows the errors). */
  endpointId: string | null
  secret: { url: string; value: string } | null
  notice: string | null
}

export async function action({ request, params }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug, 'admin')
  const form = await readForm(request)
  const submission = parseSubmission(form, { schema: WebhookEndpointForm })
  if (submission.status !== 'success') {
    // The edit form that was sent shows its errors; without an id it was the create form.
    const id = submission.payload.id
    return data<ActionResult>(
      {
        result: submission.reply(),
        endpointId: typeof id === 'string' ? id : null,
        secret: null,
        notice: null,
      },
      { status: 400 },
    )
  }
  const input = submission.value
  const answer = (notice: string, extra: Partial<ActionResult> = {}): ActionResult => ({
    result: submission.reply({ resetForm: true }),
    endpointId: 'id' in input ? input.id : null,
    secret: null,
    notice,
    ...extra,
  })
  const missing = () => {
    throw new Response('No such endpoint', { status: 404 })
  }
  const tooMany = (refusal: HandSentRefusal) =>
    data<ActionResult>(answer(handSentLimitMessage(refusal)), {
      status: 429,
      headers: { 'retry-after': String(refusal.retryAfterSeconds) },
    })
  switch (input.intent) {
    case 'create':
    case 'update': {
      const fields = {
        url: input.url,
        description: input.description,
        events: input.events,
        includeNotes: input.includeNotes,
      }
      const outcome =
        input.intent === 'create'
          ? await createWebhookEndpoint(member, fields)
          : await updateWebhookEndpoint(member, input.id, fields, {
              base: parseWebhookEndpointBase(input.base),
              replace: input.replace,
            })
      if (outcome.kind === 'not-found') return missing()
      if (outcome.kind === 'teammate-saved') {
        return teammateConflict(submission, outcome.fields, {
          endpointId: 'id' in input ? input.id : null,
          secret: null,
          notice: null,
        } satisfies Omit<ActionResult, 'result'>)
      }
      if (outcome.kind === 'invalid-url' || outcome.kind === 'url-taken') {
        const message = outcome.kind === 'invalid-url' ? outcome.reason : `${URL_TAKEN_MESSAGE}.`
        return data<ActionResult>(
          {
            result: submission.reply({ fieldErrors: { url: [message] } }),
            endpointId: input.intent === 'update' ? input.id : null,
            secret: null,
            notice: null,
          },
          { status: 400 },
        )
      }
      return input.intent === 'create'
        ? answer('Endpoint created.', { secret: { url: fields.url, value: outcome.secret! } })
        : answer('Endpoint saved.')
    }
    case 'rotate': {
      const outcome = await rotateWebhookSecret(member, input.id)
      if (outcome.kind === 'rotation-pending')
        return data(answer(rotationPendingMessage(outcome.until)), { status: 409 })
      if (outcome.kind !== 'ok') return missing()
      return answer('New secret created. The old one keeps signing beside it for 24 hours.', {
        secret: { url: 'this endpoint', value: outcome.secret! },
      })
    }
    case 'enable':
    case 'disable': {
      const outcome = await setWebhookEndpointEnabled(member, input.id, input.intent === 'enable')
      if (outcome.kind !== 'ok') return missing()
      return answer(input.intent === 'enable' ? 'Endpoint turned on.' : 'Endpoint turned off.')
    }
    case 'delete': {
      if (!isConfirmed(form)) {
        // Asked first, naming the endpoint (this workspace's only: 404 otherwise), as every other
        // deletion in the settings is: one click deleted it and its delivery history.
        const endpoint = await getWebhookEndpoint(member, input.id)
        if (!endpoint) return missing()
        return askToConfirm({
          title: `Delete the endpoint “${endpoint.description || endpoint.url}”?`,
          description: `Nothing more is sent to ${endpoint.url}, and its delivery history is deleted. This cannot be undone.`,
          confirmLabel: 'Delete',
          fields: [
            ['intent', 'delete'],
            ['id', input.id],
          ],
        })
      }
      const outcome = await deleteWebhookEndpoint(member, input.id)
      if (outcome.kind !== 'ok') return missing()
      return answer('Endpoint deleted.')
    }
    case 'test': {
      const outcome = await sendTestEvent(member, input.id)
      if (outcome.kind === 'too-many') return tooMany(outcome)
      if (outcome.kind !== 'ok') return missing()
      return answer('Test event queued. Reload to see how it went.')
    }
    case 'redeliver': {
      const outcome = await redeliverWebhook(member, input.deliveryId, input.id)
      if (outcome.kind === 'too-many') return tooMany(outcome)
      if (outcome.kind !== 'ok') return missing()
      return answer('Delivery queued again.')
    }
  }
}

/** With JavaScript, a post that gets no answer (offline) says so; the form keeps what was typed. */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

export default function WebhooksSettings() {
  const { endpoints } = useLoaderData<typeof loader>()
  const confirmStep = confirmStepOf(useActionData<typeof action>())
  const actionData = withoutConfirmStep(useActionData<typeof action>())
  // The endpoint forms say it under their button; the other buttons (test, rotate, turn on or
  // off, delete, redeliver) have no message line of their own.
  const shownByEndpointForm = unansweredErrors(actionData, 'create') ?? unansweredErrors(actionData, 'update')
  const notSent = shownByEndpointForm ? undefined : unansweredErrors(actionData)
  if (confirmStep) return <ConfirmStepPage step={confirmStep} />
  return (
    <div className="space-y-10">
      <Notice>{actionData?.notice}</Notice>
      {/* An unknown intent or a hidden id: the endpoint forms show only their own fields. */}
      <FormErrors
        id="webhooks-errors"
        errors={
          notSent ??
          errorsNoControlShows(actionData?.result, ['url', 'description', 'events', 'includeNotes'])
        }
      />
      {actionData?.secret ? (
        <ShownOnce
          id="new-secret"
          heading={`Signing secret for ${actionData.secret.url}`}
          label="Signing secret"
          value={actionData.secret.value}
        />
      ) : null}
      <section>
        <h2 className="text-lg font-medium">Webhooks</h2>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
          Switchboard POSTs a signed JSON event to each endpoint when something happens in this workspace
          (Standard Webhooks signatures; see the API documentation for how to verify them). Failed deliveries
          are retried for about a day; an endpoint that fails for 3 days is turned off.
        </p>
        {endpoints.length === 0 ? (
          <EmptyState>No webhook endpoints yet.</EmptyState>
        ) : (
          <ul className="mt-4 space-y-6">
            {endpoints.map((endpoint) => (
              <li key={endpoint.id}>
                <EndpointCard endpoint={endpoint} />
              </li>
            ))}
          </ul>
        )}
      </section>
      <EndpointForm key="create" />
    </div>
  )
}

type EndpointRow = ReturnType<typeof useLoaderData<typeof loader>>['endpoints'][number]

function IntentButton(props: {
  id: string
  intent: string
  label: string
  accessibleLabel: string
  variant?: 'primary' | 'secondary' | 'danger'
  extra?: Record<string, string>
}) {
  const navigation = useNavigation()
  const pending =
    navigation.state === 'submitting' &&
    navigation.formData?.get('intent') === props.intent &&
    navigation.formData?.get('id') === props.id &&
    (!props.extra?.deliveryId || navigation.formData?.get('deliveryId') === props.extra.deliveryId)
  return (
    <Form method="post">
      <input type="hidden" name="intent" value={props.intent} />
      <input type="hidden" name="id" value={props.id} />
      {Object.entries(props.extra ?? {}).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <Button
        type="submit"
        variant={props.variant ?? 'secondary'}
        pending={pending}
        aria-label={props.accessibleLabel}
      >
        {props.label}
      </Button>
    </Form>
  )
}

function EndpointCard({ endpoint }: { endpoint: EndpointRow }) {
  const format = useFormatters()
  const name = endpoint.description || endpoint.url
  return (
    <article
      aria-label={`Endpoint ${name}`}
      className="rounded-lg border border-slate-200 p-4 dark:border-slate-800"
    >
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <p className="font-mono text-sm break-all">{endpoint.url}</p>
          {endpoint.description ? (
            <p className="text-sm text-slate-600 dark:text-slate-400">{endpoint.description}</p>
          ) : null}
          <p className="mt-1 text-xs text-slate-500">
            {endpoint.events.join(', ')}
            {endpoint.includeNotes ? ' (with internal notes)' : ''}
          </p>
          <p className="mt-1 text-xs text-slate-500">{endpoint.addedBy}</p>
          <p className="mt-1 text-sm">
            {endpoint.disabledAt ? (
              <span className="font-medium text-red-700 dark:text-red-400">
                Off since {format.dateTime(endpoint.disabledAt)}: {endpoint.disabledReason}
              </span>
            ) : endpoint.failingSince ? (
              <span className="font-medium text-amber-700 dark:text-amber-400">
                Failing since {format.dateTime(endpoint.failingSince)}
              </span>
            ) : (
              <span className="text-emerald-700 dark:text-emerald-400">Active</span>
            )}
            {endpoint.previousSecretExpiresAt ? (
              <span className="ml-2 text-xs text-slate-500">
                Previous secret also signs until {format.dateTime(endpoint.previousSecretExpiresAt)}
              </span>
            ) : null}
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <IntentButton
            id={endpoint.id}
            intent="test"
            label="Send test event"
            accessibleLabel={`Send test event to ${name}`}
          />
          <IntentButton
            id={endpoint.id}
            intent="rotate"
            label="Rotate secret"
            accessibleLabel={`Rotate the secret of ${name}`}
          />
          {endpoint.disabledAt ? (
            <IntentButton
              id={endpoint.id}
              intent="enable"
              label="Turn on"
              accessibleLabel={`Turn on ${name}`}
            />
          ) : (
            <IntentButton
              id={endpoint.id}
              intent="disable"
              label="Turn off"
              accessibleLabel={`Turn off ${name}`}
            />
          )}
          <Form method="post">
            <input type="hidden" name="intent" value="delete" />
            <input type="hidden" name="id" value={endpoint.id} />
            <ConfirmButton
              title={`Delete the endpoint “${name}”?`}
              description={`Nothing more is sent to ${endpoint.url}, and its delivery history is deleted. This cannot be undone.`}
              confirmLabel="Delete"
              aria-label={`Delete ${name}`}
            >
              Delete
            </ConfirmButton>
          </Form>
        </div>
      </div>
      <details className="mt-3">
        <summary className="cursor-pointer text-sm text-indigo-700 dark:text-indigo-300">Edit</summary>
        <EndpointForm endpoint={endpoint} />
      </details>
      <Deliveries endpoint={endpoint} name={name} />
    </article>
  )
}

const STATUS_LABEL = { pending: 'Retrying', succeeded: 'Delivered', failed: 'Failed' } as const

function Deliveries({ endpoint, name }: { endpoint: EndpointRow; name: string }) {
  const format = useFormatters()
  if (endpoint.deliveries.length === 0) {
    return <p className="mt-3 text-sm text-slate-500">No deliveries yet.</p>
  }
  return (
    <div className="relative mt-3 overflow-x-auto">
      <table className="w-full text-left text-sm">
        <caption className="text-left text-sm font-medium">Recent deliveries to {name}</caption>
        <thead className="text-xs text-slate-500 uppercase dark:text-slate-400">
          <tr>
            <th className="py-2 pr-3">Event</th>
            <th className="py-2 pr-3">Status</th>
            <th className="py-2 pr-3">Response</th>
            <th className="py-2 pr-3">Latency</th>
            <th className="py-2 pr-3">Sent</th>
            <th className="py-2">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
          {endpoint.deliveries.map((d) => (
            <tr key={d.id}>
              <td className="py-2 pr-3 font-mono text-xs">{d.eventType}</td>
              <td className="py-2 pr-3">
                {d.status === 'pending' && d.attempts === 0 ? 'Queued' : STATUS_LABEL[d.status]}
                <div className="text-xs text-slate-500">
                  {d.attempts} {d.attempts === 1 ? 'attempt' : 'attempts'}
                  {d.nextAttemptAt && d.attempts > 0 ? `, next ${format.dateTime(d.nextAttemptAt)}` : ''}
                </div>
              </td>
              <td className="max-w-xs py-2 pr-3">
                {d.responseStatus !== null ? <span className="font-mono">{d.responseStatus}</span> : null}
                {d.error && d.responseStatus === null ? <span>{d.error}</span> : null}
                {d.responseSnippet ? (
                  <pre className="mt-1 max-h-20 overflow-hidden text-xs break-all whitespace-pre-wrap text-slate-500">
                    {d.responseSnippet.slice(0, 200)}
                  </pre>
                ) : null}
              </td>
              <td className="py-2 pr-3 tabular-nums">{d.latencyMs !== null ? `${d.latencyMs} ms` : '—'}</td>
              <td className="py-2 pr-3 text-xs">{format.dateTime(d.createdAt)}</td>
              <td className="py-2">
                <IntentButton
                  id={endpoint.id}
                  intent="redeliver"
                  label="Redeliver"
                  accessibleLabel={`Redeliver ${d.eventType} from ${format.dateTime(d.createdAt)}`}
                  extra={{ deliveryId: d.id }}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

const WEBHOOK_FIELD_LABEL = {
  url: 'the URL',
  description: 'the description',
  events: 'the events',
  includeNotes: 'internal notes in message.created',
} as const

function EndpointForm({ endpoint }: { endpoint?: EndpointRow }) {
  const actionData = withoutConfirmStep(useActionData<typeof action>())
  const navigation = useNavigation()
  const intent = endpoint ? 'update' : 'create'
  const formId = endpoint ? `webhook-${endpoint.id}` : 'new-webhook'
  const mine = endpoint ? actionData?.endpointId === endpoint.id : actionData?.endpointId === null
  const notSent = useUnansweredForm(actionData)(endpoint ? { intent, id: endpoint.id } : { intent })
  const pending =
    navigation.state === 'submitting' &&
    navigation.formData?.get('intent') === intent &&
    (!endpoint || navigation.formData?.get('id') === endpoint.id)
  const stored = endpoint
    ? {
        url: endpoint.url,
        description: endpoint.description,
        events: endpoint.events,
        includeNotes: endpoint.includeNotes ? 'on' : '',
      }
    : { url: '', description: '', events: ['ticket.created'], includeNotes: '' }
  const lastResult = mine ? actionData?.result : undefined
  const [form, fields] = useSchemaForm(WebhookEndpointForm, { id: formId, lastResult, defaultValue: stored })
  // An edit form: a teammate's save seen on this page's next load, see useDrawnValues.
  const { drawn, overwritten } = useDrawnValues(formId, stored, {
    saved: savedResult(lastResult),
    update: form.update,
  })
  const eventErrors = fields.events.errors
  const body = (
    <Form method="post" {...getFormProps(form)} className="mt-3 space-y-3">
      <input type="hidden" name="intent" value={intent} />
      {endpoint ? <input type="hidden" name="id" value={endpoint.id} /> : null}
      {endpoint ? (
        <input
          type="hidden"
          name="base"
          value={webhookEndpointBase({ ...drawn, includeNotes: drawn.includeNotes === 'on' })}
        />
      ) : null}
      <Field
        label="URL"
        inputProps={{
          ...getInputProps(fields.url, { type: 'url' }),
          maxLength: WEBHOOK_URL_MAX,
          placeholder: 'https://example.com/switchboard-events',
        }}
        errors={fields.url.errors}
      />
      <Field
        label="Description"
        inputProps={{
          ...getInputProps(fields.description, { type: 'text' }),
          maxLength: WEBHOOK_DESCRIPTION_MAX,
          placeholder: 'CRM sync',
        }}
        errors={fields.description.errors}
      />
      <CheckboxGroupField
        legend="Events"
        name={fields.events.name}
        errorId={`${formId}-events-error`}
        options={WEBHOOK_EVENT_TYPES.map((event) => ({
          value: event,
          label: <CodeOption code={event}>{WEBHOOK_EVENT_DESCRIPTIONS[event]}</CodeOption>,
        }))}
        checked={fields.events.initialValue}
        errors={eventErrors}
        extra={
          <label className="flex items-start gap-2 text-sm">
            <input
              type="checkbox"
              name={fields.includeNotes.name}
              value="on"
              defaultChecked={fields.includeNotes.initialValue === 'on'}
              className="mt-1"
            />
            <span>Include internal notes in message.created</span>
          </label>
        }
      />
      <TeammateEdits
        stored={stored}
        overwritten={overwritten}
        conflict={mine ? conflictIn(actionData) : undefined}
        label={(name) => WEBHOOK_FIELD_LABEL[name]}
        shown={(name, value) => (name === 'includeNotes' ? onOff(value) : value)}
      />
      <Button type="submit" pending={pending}>
        {endpoint ? 'Save endpoint' : 'Add endpoint'}
      </Button>
      <FormErrors id={form.errorId} errors={notSent} />
    </Form>
  )
  if (endpoint) return body
  return (
    <section className="max-w-2xl">
      <h2 className="text-lg font-medium">New endpoint</h2>
      {body}
    </section>
  )
}
