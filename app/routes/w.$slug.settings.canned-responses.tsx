import { getFormProps, getInputProps, getTextareaProps, type SubmissionResult } from '@conform-to/react'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { z } from 'zod'
import { EmptyState } from '#app/components/ui/empty-state.tsx'
import { Notice } from '#app/components/ui/notice.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { ConfirmButton, ConfirmStepPage } from '#app/components/ui/confirm-dialog.tsx'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { savedResult, useDrawnValues } from '#app/utils/use-drawn-values.ts'
import { conflictIn, TeammateEdits } from '#app/components/ui/teammate-saved.tsx'
import { teammateConflict } from '#app/http/teammate-conflict.server.ts'
import { askToConfirm, confirmStepOf, isConfirmed, withoutConfirmStep } from '#app/utils/confirmation.ts'
import { Field, FormErrors, TextareaField } from '#app/components/ui/field.tsx'
import { errorsNoControlShows } from '#app/utils/unshown-errors.ts'
import {
  createCannedResponse,
  deleteCannedResponse,
  listCannedResponses,
  updateCannedResponse,
} from '#app/domain/canned-responses.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'
import { hasRole } from '#app/utils/roles.ts'
import { CANNED_PLACEHOLDERS, unknownPlaceholders } from '#app/utils/canned.ts'
import { displayName } from '#app/utils/schemas.ts'
import { parseDrawnBase, replaceField, type TeammateConflict } from '#app/utils/drawn-base.ts'
import { keepPageWhenUnanswered } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { useUnansweredForm } from '#app/utils/unanswered-form.ts'

export const meta: MetaFunction = () => [{ title: 'Canned responses · Switchboard' }]

// One line, like every name: no line breaks, controls or bidi overrides, something visible.
const TITLE_MAX = 100
const Title = displayName('Title', TITLE_MAX)

const PLACEHOLDER_LIST = Object.keys(CANNED_PLACEHOLDERS).map((name) => `{{${name}}}`)

const Body = z
  .string({ error: 'Write the response first' })
  .trim()
  .min(1, { error: 'Write the response first' })
  .max(20_000, { error: 'Use at most 20,000 characters' })
  .superRefine((body, ctx) => {
    const unknown = unknownPlaceholders(body)
    if (unknown.length === 0) return
    ctx.addIssue({
      code: 'custom',
      message: `Unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: the customer would see ${unknown.length > 1 ? 'them' : 'it'} as written. Use ${PLACEHOLDER_LIST.slice(0, -1).join(', ')} or ${PLACEHOLDER_LIST.at(-1)}.`,
    })
  })

const CreateSchema = z.object({ intent: z.literal('create'), title: Title, body: Body })
const UpdateSchema = z.object({
  intent: z.literal('update'),
  cannedResponseId: z.uuid({ error: 'Unknown canned response' }),
  title: Title,
  body: Body,
  // What the form showed when it was drawn (cannedBase): see updateCannedResponse.
  base: z.string().max(40_000).optional(),
  // The fields whose teammate's save the form showed: see drawnSave.
  replace: replaceField(['title', 'body']),
})

/** The `base` hidden field of an edit form drawn with these values. */
const cannedBase = (c: { title: string; body: string }) => JSON.stringify({ title: c.title, body: c.body })

/** The values a posted edit form was drawn with, read as its fields are; null if none or unreadable. */
function drawnValues(base: string | undefined) {
  return parseDrawnBase(
    base,
    z.object({ title: z.string(), body: z.string() }),
    z.object({ title: Title, body: Body }),
  )
}
const ActionSchema = z.discriminatedUnion('intent', [
  CreateSchema,
  UpdateSchema,
  z.object({ intent: z.literal('delete'), cannedResponseId: z.uuid({ error: 'Unknown canned response' }) }),
])

const CREATE_FORM_ID = 'new-canned-response'
const editFormId = (id: string) => `canned-${id}`

function formIdOf(payload: Record<string, unknown>) {
  if (payload.intent === 'create') return CREATE_FORM_ID
  if (payload.intent === 'update' && typeof payload.cannedResponseId === 'string') {
    return editFormId(payload.cannedResponseId)
  }
  return 'canned-responses'
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  return {
    canManage: hasRole(member.role, 'admin'),
    cannedResponses: await listCannedResponses(member.workspaceId),
  }
}

export async function action({ request, params }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug, 'admin')
  const form = await readForm(request)
  const submission = parseSubmission(form, { schema: ActionSchema })
  const formId = formIdOf(submission.payload)
  if (submission.status !== 'success') {
    return data({ result: submission.reply(), formId, notice: null }, { status: 400 })
  }
  const input = submission.value
  switch (input.intent) {
    case 'create':
    case 'update': {
      const values = { title: input.title, body: input.body }
      const outcome =
        input.intent === 'create'
          ? await createCannedResponse(member, values)
          : await updateCannedResponse(
              member,
              input.cannedResponseId,
              values,
              drawnValues(input.base),
              input.replace,
            )
      if (outcome.kind === 'teammate-saved')
        return teammateConflict(submission, outcome.fields, { formId, notice: null })
      if (outcome.kind === 'title-taken') {
        const message = `Another canned response is already titled “${input.title}”. Choose another title.`
        return data(
          { result: submission.reply({ fieldErrors: { title: [message] } }), formId, notice: null },
          { status: 400 },
        )
      }
      return input.intent === 'create'
        ? {
            result: submission.reply({ resetForm: true }),
            formId,
            notice: `Canned response “${input.title}” created.`,
          }
        : // Reset to what is stored: a teammate's change to the other field shows (useDrawnValues).
          {
            result: submission.reply({ resetForm: true }),
            formId,
            notice: `Canned response “${outcome.title}” saved.`,
          }
    }
    case 'delete':
      if (!isConfirmed(form)) {
        // The page without JavaScript names what it deletes (this workspace's only: 404 otherwise).
        const canned = (await listCannedResponses(member.workspaceId)).find(
          (c) => c.id === input.cannedResponseId,
        )
        if (!canned) throw new Response('No such canned response', { status: 404 })
        return askToConfirm({
          title: `Delete the canned response “${canned.title}”?`,
          description: 'Agents will no longer be able to insert it. This cannot be undone.',
          confirmLabel: 'Delete',
          fields: [
            ['intent', 'delete'],
            ['cannedResponseId', input.cannedResponseId],
          ],
        })
      }
      await deleteCannedResponse(member, input.cannedResponseId)
      return { result: submission.reply(), formId, notice: 'Canned response deleted.' }
  }
}

/** With JavaScript, a post that gets no answer (offline) says so; the form keeps what was typed. */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

type CannedResponse = ReturnType<typeof useLoaderData<typeof loader>>['cannedResponses'][number]

export default function CannedResponsesSettings() {
  const { canManage, cannedResponses } = useLoaderData<typeof loader>()
  const confirmStep = confirmStepOf(useActionData<typeof action>())
  const actionData = withoutConfirmStep(useActionData<typeof action>())
  const resultFor = (formId: string) => (actionData?.formId === formId ? actionData.result : undefined)
  const notSentTo = useUnansweredForm(actionData)
  if (confirmStep) return <ConfirmStepPage step={confirmStep} />
  return (
    <div className="space-y-10">
      <Notice>{actionData?.notice}</Notice>
      {/* Not one form's (delete, an unknown intent): every message, ids' included. */}
      <FormErrors
        id="canned-responses-errors"
        errors={
          notSentTo({ intent: 'delete' }) ??
          (actionData?.formId === 'canned-responses' ? errorsNoControlShows(actionData.result) : undefined)
        }
      />
      <section>
        <h2 className="text-lg font-medium">Canned responses</h2>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
          Ready-made replies anyone on the team can insert into the reply composer.
          {canManage ? null : ' Only owners and admins can change them.'}
        </p>
        <Placeholders />
        {cannedResponses.length === 0 ? (
          <EmptyState>No canned responses yet.</EmptyState>
        ) : (
          <ul className="mt-4 space-y-4">
            {cannedResponses.map((c) => (
              <CannedResponseCard
                key={c.id}
                cannedResponse={c}
                canManage={canManage}
                lastResult={resultFor(editFormId(c.id))}
                conflict={actionData?.formId === editFormId(c.id) ? conflictIn(actionData) : undefined}
                notSent={notSentTo({ intent: 'update', cannedResponseId: c.id })}
              />
            ))}
          </ul>
        )}
      </section>
      {canManage ? (
        <CreateCannedResponseForm
          lastResult={resultFor(CREATE_FORM_ID)}
          notSent={notSentTo({ intent: 'create' })}
        />
      ) : null}
    </div>
  )
}

function Placeholders() {
  return (
    <details className="mt-3 rounded-md bg-slate-50 p-3 text-sm dark:bg-slate-900">
      <summary className="cursor-pointer font-medium">Placeholders you can use</summary>
      <p className="mt-2 text-slate-600 dark:text-slate-400">
        They are filled in when the response is inserted into a reply.
      </p>
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
        {Object.entries(CANNED_PLACEHOLDERS).map(([name, meaning]) => (
          <div key={name} className="contents">
            <dt>
              <code className="font-mono text-xs">{`{{${name}}}`}</code>
            </dt>
            <dd className="text-slate-600 dark:text-slate-400">{meaning}</dd>
          </div>
        ))}
      </dl>
    </details>
  )
}

function CannedResponseCard({
  cannedResponse,
  canManage,
  lastResult,
  conflict,
  notSent,
}: {
  cannedResponse: CannedResponse
  canManage: boolean
  lastResult?: SubmissionResult<string[]>
  conflict?: TeammateConflict[]
  notSent?: string[]
}) {
  const navigation = useNavigation()
  const pendingIntent =
    navigation.state === 'submitting' && navigation.formData?.get('cannedResponseId') === cannedResponse.id
      ? navigation.formData.get('intent')
      : null
  return (
    <li className="rounded-lg border border-slate-200 p-4 dark:border-slate-800">
      <div className="flex items-start justify-between gap-4">
        <h3 className="font-medium">{cannedResponse.title}</h3>
        {canManage ? (
          <Form method="post">
            <input type="hidden" name="intent" value="delete" />
            <input type="hidden" name="cannedResponseId" value={cannedResponse.id} />
            <ConfirmButton
              title={`Delete “${cannedResponse.title}”?`}
              description="Agents will no longer be able to insert it. This cannot be undone."
              confirmLabel="Delete"
              pending={pendingIntent === 'delete'}
              aria-label={`Delete ${cannedResponse.title}`}
            >
              Delete
            </ConfirmButton>
          </Form>
        ) : null}
      </div>
      <p className="mt-2 line-clamp-4 text-sm whitespace-pre-wrap text-slate-700 dark:text-slate-300">
        {cannedResponse.body}
      </p>
      {canManage ? (
        <EditCannedResponseForm
          cannedResponse={cannedResponse}
          lastResult={lastResult}
          conflict={conflict}
          notSent={notSent}
          pending={pendingIntent === 'update'}
        />
      ) : null}
    </li>
  )
}

function EditCannedResponseForm({
  cannedResponse,
  lastResult,
  conflict,
  notSent,
  pending,
}: {
  cannedResponse: CannedResponse
  lastResult?: SubmissionResult<string[]>
  conflict?: TeammateConflict[]
  /** Its last post got no answer (offline): the message, what was typed stays. */
  notSent?: string[]
  pending: boolean
}) {
  const stored = { title: cannedResponse.title, body: cannedResponse.body }
  const [form, fields] = useSchemaForm(UpdateSchema, {
    id: editFormId(cannedResponse.id),
    lastResult,
    defaultValue: stored,
  })
  // A teammate's save seen on this page's next load: see useDrawnValues.
  const { drawn, overwritten } = useDrawnValues(editFormId(cannedResponse.id), stored, {
    saved: savedResult(lastResult),
    update: form.update,
  })
  const hasErrors = Boolean(lastResult?.error && Object.keys(lastResult.error).length > 0)
  return (
    <details className="mt-3" open={hasErrors || undefined}>
      <summary className="cursor-pointer text-sm font-medium text-indigo-600 dark:text-indigo-400">
        Edit {cannedResponse.title}
      </summary>
      <Form method="post" {...getFormProps(form)} className="mt-3 space-y-2">
        <input type="hidden" name="intent" value="update" />
        <input type="hidden" name="cannedResponseId" value={cannedResponse.id} />
        <input type="hidden" name="base" value={cannedBase(drawn)} />
        <Field
          label="Title"
          inputProps={{ ...getInputProps(fields.title, { type: 'text' }), maxLength: TITLE_MAX }}
          errors={fields.title.errors}
        />
        <TextareaField
          label="Response"
          textareaProps={{ ...getTextareaProps(fields.body), rows: 8 }}
          errors={fields.body.errors}
        />
        <TeammateEdits
          stored={stored}
          overwritten={overwritten}
          conflict={conflict}
          label={(name) => (name === 'title' ? 'Title' : 'Response')}
        />
        <Button type="submit" pending={pending}>
          Save response
        </Button>
        <FormErrors id={form.errorId} errors={notSent ?? form.errors} />
      </Form>
    </details>
  )
}

function CreateCannedResponseForm({
  lastResult,
  notSent,
}: {
  lastResult?: SubmissionResult<string[]>
  notSent?: string[]
}) {
  const navigation = useNavigation()
  const pending = navigation.state === 'submitting' && navigation.formData?.get('intent') === 'create'
  const [form, fields] = useSchemaForm(CreateSchema, {
    id: CREATE_FORM_ID,
    lastResult,
  })
  return (
    <section className="max-w-2xl">
      <h2 className="text-lg font-medium">New canned response</h2>
      <Form method="post" {...getFormProps(form)} className="mt-3 space-y-2">
        <input type="hidden" name="intent" value="create" />
        <Field
          label="Title"
          inputProps={{
            ...getInputProps(fields.title, { type: 'text' }),
            maxLength: TITLE_MAX,
            placeholder: 'Refund on its way',
          }}
          errors={fields.title.errors}
        />
        <TextareaField
          label="Response"
          textareaProps={{
            ...getTextareaProps(fields.body),
            rows: 8,
            placeholder: 'Hi {{customer.name}},\n\n…\n\n{{agent.name}}',
          }}
          errors={fields.body.errors}
          hint="At most 20,000 characters. Placeholders such as {{customer.name}} are filled in when inserted."
        />
        <Button type="submit" pending={pending}>
          Create response
        </Button>
        <FormErrors id={form.errorId} errors={notSent ?? form.errors} />
      </Form>
    </section>
  )
}
