import { getFormProps, getInputProps, useForm } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod/v4'
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { Button } from '#app/components/ui/button.tsx'
import { Field } from '#app/components/ui/field.tsx'
import { contactWithTickets, renameContact } from '#app/domain/contacts.server.ts'
import { notFound } from '#app/domain/errors.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'
import { formatDateTime } from '#app/utils/format.ts'
import { STATUS_BADGE, STATUS_LABEL } from '#app/utils/vocabulary.ts'
import { PersonName } from '#app/utils/schemas.ts'
import { useIsPending } from '#app/utils/use-pending.ts'

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.contact.name || data.contact.email} · Customers · Switchboard` : 'Switchboard' },
]

const RenameSchema = z.object({ name: PersonName })

/** A malformed id is as unknown as another workspace's: 404 either way. */
function contactIdOf(params: { id?: string }) {
  const parsed = z.uuid().safeParse(params.id)
  if (!parsed.success) throw notFound('No such customer')
  return parsed.data
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const { contact, tickets } = await contactWithTickets(member.workspaceId, contactIdOf(params))
  return {
    slug: member.workspaceSlug,
    contact: { ...contact, createdAt: contact.createdAt.toISOString() },
    tickets: tickets.map((t) => ({ ...t, lastActivityAt: t.lastActivityAt.toISOString() })),
  }
}

export async function action({ request, params }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const contactId = contactIdOf(params)
  const submission = parseSubmission(await readForm(request), { schema: RenameSchema })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  await renameContact(member, contactId, submission.value.name)
  return redirect(`/w/${member.workspaceSlug}/customers/${contactId}`)
}

export default function Customer() {
  const { slug, contact, tickets } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const pending = useIsPending()
  const [form, fields] = useForm({
    id: `contact-${contact.id}`,
    lastResult: actionData?.result,
    defaultValue: { name: contact.name },
    onValidate: ({ formData }) => parseWithZod(formData, { schema: RenameSchema }),
    shouldRevalidate: 'onInput',
  })
  return (
    <div className="max-w-4xl">
      <p className="text-sm">
        <Link to={`/w/${slug}/customers`} className="text-indigo-700 hover:underline dark:text-indigo-300">
          ← Customers
        </Link>
      </p>
      <h1 className="mt-2 text-2xl font-semibold">
        {contact.name || <span className="italic text-slate-500">No name</span>}
      </h1>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
        <span className="break-all">{contact.email}</span> · customer since{' '}
        <time dateTime={contact.createdAt}>{formatDateTime(contact.createdAt)}</time>
      </p>

      <section className="mt-6 max-w-md">
        <h2 className="text-lg font-medium">Name</h2>
        <Form method="post" {...getFormProps(form)} className="mt-3 flex items-start gap-2">
          <div className="flex-1">
            <Field
              label="Customer name"
              inputProps={getInputProps(fields.name, { type: 'text' })}
              errors={fields.name.errors}
            />
          </div>
          <Button type="submit" pending={pending} className="mt-6">
            Save name
          </Button>
        </Form>
      </section>

      <section className="mt-8">
        <h2 className="text-lg font-medium">Tickets</h2>
        {tickets.length === 0 ? (
          <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">No tickets yet.</p>
        ) : (
          <table className="mt-3 w-full text-left text-sm">
            <thead className="text-slate-500 dark:text-slate-400">
              <tr>
                <th className="py-2 font-medium">#</th>
                <th className="py-2 font-medium">Subject</th>
                <th className="py-2 font-medium">Status</th>
                <th className="py-2 font-medium">Last activity</th>
              </tr>
            </thead>
            <tbody>
              {tickets.map((t) => (
                <tr key={t.id} className="border-t border-slate-200 dark:border-slate-800">
                  <td className="py-2 tabular-nums">{t.number}</td>
                  <td className="py-2">
                    <Link
                      to={`/w/${slug}/tickets/${t.number}`}
                      className="font-medium text-indigo-700 hover:underline dark:text-indigo-300"
                    >
                      {t.subject}
                    </Link>
                  </td>
                  <td className="py-2">
                    <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${STATUS_BADGE[t.status]}`}>
                      {STATUS_LABEL[t.status]}
                    </span>
                  </td>
                  <td className="py-2">
                    <time dateTime={t.lastActivityAt}>{formatDateTime(t.lastActivityAt)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {tickets.length >= 100 ? (
          <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">
            Showing the 100 most recently active tickets.
          </p>
        ) : null}
      </section>
    </div>
  )
}
