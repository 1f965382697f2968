import { getFormProps, getInputProps } from '@conform-to/react'
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { AuthCard } from '#app/components/auth-card.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { Field, FormErrors } from '#app/components/ui/field.tsx'
import { requireUser } from '#app/http/auth.server.ts'
import { leftWorkspaceName } from '#app/http/left-notice.server.ts'
import { Notice } from '#app/components/ui/notice.tsx'
import { createWorkspace } from '#app/domain/workspaces.server.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { slugTakenMessage, WorkspaceSchema } from '#app/utils/schemas.ts'
import { useIsPending } from '#app/utils/use-pending.ts'
import { keepPageWhenUnanswered, unansweredErrors } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { WORKSPACE_NAME_MAX, WORKSPACE_SLUG_MAX } from '#app/utils/schemas.ts'

export const meta: MetaFunction = () => [{ title: 'New workspace · Switchboard' }]

export async function loader({ request }: LoaderFunctionArgs) {
  const { user } = await requireUser(request)
  // Leaving their last workspace brings the user here (`?left=`).
  return { left: leftWorkspaceName(request, user.id) }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { user } = await requireUser(request)
  const submission = parseSubmission(await readForm(request), { schema: WorkspaceSchema })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  const outcome = await createWorkspace(user.id, submission.value.name, submission.value.slug)
  if (outcome.kind === 'slug-taken') {
    return data(
      { result: submission.reply({ fieldErrors: { slug: [slugTakenMessage(submission.value.slug)] } }) },
      { status: 400 },
    )
  }
  if (outcome.kind === 'too-many') {
    const hours = Math.ceil(outcome.retryAfterSeconds / 3600)
    const message = `You created ${outcome.max} workspaces in the last 24 hours. Try again in ${hours === 1 ? 'an hour' : `${hours} hours`}.`
    return data(
      { result: submission.reply({ fieldErrors: { name: [message] } }) },
      { status: 429, headers: { 'retry-after': String(outcome.retryAfterSeconds) } },
    )
  }
  context.realtime.joinWorkspace(user.id, outcome.workspaceId)
  return redirect(`/w/${outcome.slug}`)
}

/** With JavaScript, a post that gets no answer (offline) says so; the form keeps what was typed. */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

export default function NewWorkspace() {
  const { left } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const pending = useIsPending()
  const [form, fields] = useSchemaForm(WorkspaceSchema, {
    id: 'new-workspace',
    lastResult: actionData?.result,
  })
  return (
    <AuthCard
      title="Create a workspace"
      footer={
        <Link className="underline" to="/">
          Cancel
        </Link>
      }
    >
      <Notice className="mb-4">{left ? `You left ${left}.` : null}</Notice>
      <Form method="post" {...getFormProps(form)} className="space-y-2">
        <Field
          label="Workspace name"
          inputProps={{ ...getInputProps(fields.name, { type: 'text' }), maxLength: WORKSPACE_NAME_MAX }}
          errors={fields.name.errors}
        />
        <Field
          label="Workspace URL"
          hint="Lowercase letters, digits and hyphens: /w/acme. Left empty, it is made from the workspace name."
          inputProps={{
            ...getInputProps(fields.slug, { type: 'text' }),
            maxLength: WORKSPACE_SLUG_MAX,
            autoCapitalize: 'none',
          }}
          errors={fields.slug.errors}
        />
        <Button type="submit" className="w-full" pending={pending}>
          Create workspace
        </Button>
        <FormErrors id={form.errorId} errors={unansweredErrors(actionData) ?? form.errors} />
      </Form>
    </AuthCard>
  )
}
