import { getFormProps, getInputProps } from '@conform-to/react'
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { Button } from '#app/components/ui/button.tsx'
import { Field, FormErrors } from '#app/components/ui/field.tsx'
import { requireMember } from '#app/http/auth.server.ts'
import { renameWorkspace } from '#app/domain/workspaces.server.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'
import { hasRole } from '#app/utils/roles.ts'
import { WORKSPACE_NAME_MAX, WorkspaceName } from '#app/utils/schemas.ts'
import { useIsPending } from '#app/utils/use-pending.ts'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { savedResult, useDrawnValues } from '#app/utils/use-drawn-values.ts'
import { TeammateSaved } from '#app/components/ui/teammate-saved.tsx'
import { keepPageWhenUnanswered, unansweredErrors } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'

const RenameSchema = z.object({ name: WorkspaceName })

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  return { name: member.workspaceName, slug: member.workspaceSlug, canEdit: hasRole(member.role, 'admin') }
}

export async function action({ request, params }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug, 'admin')
  const submission = parseSubmission(await readForm(request), { schema: RenameSchema })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  await renameWorkspace(member, submission.value.name)
  return redirect(`/w/${member.workspaceSlug}/settings`)
}

/** With JavaScript, a post that gets no answer (offline) says so; the form keeps what was typed. */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

export default function GeneralSettings() {
  const { name, slug, canEdit } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const pending = useIsPending()
  const stored = { name }
  const [form, fields] = useSchemaForm(RenameSchema, {
    id: 'workspace-general',
    lastResult: actionData?.result,
    defaultValue: stored,
  })
  // A teammate's rename seen when this page reloads its data: shown unless this admin is typing
  // a name, which stays (the last save wins). See useDrawnValues.
  const { overwritten } = useDrawnValues('workspace-general', stored, {
    saved: savedResult(actionData?.result),
    update: form.update,
  })
  return (
    <section className="max-w-md">
      <h2 className="text-lg font-medium">Workspace</h2>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
        URL: <code>/w/{slug}</code>
      </p>
      {canEdit ? (
        <Form method="post" {...getFormProps(form)} className="mt-4 space-y-2">
          <Field
            label="Workspace name"
            inputProps={{ ...getInputProps(fields.name, { type: 'text' }), maxLength: WORKSPACE_NAME_MAX }}
            errors={fields.name.errors}
          />
          <TeammateSaved fields={overwritten.map(() => ({ label: 'the workspace name', value: name }))} />
          <Button type="submit" pending={pending}>
            Save
          </Button>
          <FormErrors id={form.errorId} errors={unansweredErrors(actionData) ?? form.errors} />
        </Form>
      ) : (
        <p className="mt-4 text-sm">Name: {name}. Only owners and admins can change workspace settings.</p>
      )}
    </section>
  )
}
