import { getFormProps, getInputProps, type SubmissionResult } from '@conform-to/react'
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type AppLoadContext,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { CustomerProfileForm } from '#app/components/customer/profile-form.tsx'
import { MergeCustomer } from '#app/components/customer/merge-customer.tsx'
import { QueueTable } from '#app/components/queue/queue-table.tsx'
import { Badge } from '#app/components/ui/badge.tsx'
import { ChevronLeft, ChevronRight } from '#app/components/ui/icons.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { Field, FormErrors } from '#app/components/ui/field.tsx'
import {
  MERGE_REFUSED,
  MERGE_ROLE,
  mergeCandidates,
  mergeContacts,
} from '#app/domain/contact-merge.server.ts'
import { renameContact } from '#app/domain/contacts.server.ts'
import {
  customerMergedInto,
  loadCustomerProfile,
  loadCustomerTickets,
  updateContactProfile,
} from '#app/domain/customer-profile.server.ts'
import { forbidden, notFound } from '#app/domain/errors.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import {
  parseSubmission,
  readForm,
  searchParamsOf,
  UNKNOWN_INTENT_MESSAGE,
} from '#app/http/form-data.server.ts'
import { CustomerProfileSchema } from '#app/utils/customer-profile.ts'
import { useFormatters } from '#app/utils/use-formatters.ts'
import { PERSON_NAME_MAX, PersonName } from '#app/utils/schemas.ts'
import { hasRole } from '#app/utils/roles.ts'
import { sliceWhole } from '#app/utils/well-formed.ts'
import { keepPageWhenUnanswered } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { useIsPending } from '#app/utils/use-pending.ts'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { useDrawnValues } from '#app/utils/use-drawn-values.ts'
import { TeammateSaved } from '#app/components/ui/teammate-saved.tsx'
import { MergedNotice, type MergedInto } from '#app/components/customer/merged-notice.tsx'
import type { TeammateConflict } from '#app/utils/drawn-base.ts'
import { teammateConflict } from '#app/http/teammate-conflict.server.ts'

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: !data
      ? 'Switchboard'
      : data.contact
        ? `${data.contact.name || data.contact.email} · Customers · Switchboard`
        : 'Customer merged · Switchboard',
  },
]

const RenameSchema = z.object({ intent: z.literal('rename').default('rename'), name: PersonName })
const MergeSchema = z.object({
  intent: z.literal('merge'),
  mergeId: z.uuid({ error: 'Choose the customer to merge' }),
})

/** A malformed id is as unknown as another workspace's: 404 either way. */
function contactIdOf(params: { id?: string }) {
  const parsed = z.uuid().safeParse(params.id)
  if (!parsed.success) throw notFound('No such customer')
  return parsed.data
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const contactId = contactIdOf(params)
  const search = searchParamsOf(request)
  const contact = await loadCustomerProfile(member, contactId).catch(async (error: unknown) => {
    // Merged into another contact by a teammate: the page says where (an open tab's link, a form
    // posted from it without JavaScript), not "Page not found".
    const into = isNotFound(error) ? await customerMergedInto(member, contactId) : undefined
    if (into) return { mergedInto: into }
    throw error
  })
  if ('mergedInto' in contact) {
    const { id, name, email } = contact.mergedInto
    return { slug: member.workspaceSlug, mergedInto: { id, name, email } }
  }
  const tickets = await loadCustomerTickets(member, contactId, search)
  // Merging: `merge_q` searches for the other contact, `merge` is the one chosen (the confirm step).
  // Owners and admins only: an agent is told who can, and gets no search or confirm step.
  const canMerge = hasRole(member.role, MERGE_ROLE)
  const mergeQuery = canMerge ? sliceWhole(search.get('merge_q')?.trim() ?? '', 200) : ''
  const mergeId = z.uuid().safeParse(search.get('merge'))
  const [candidates, mergeTarget] = await Promise.all([
    mergeQuery ? mergeCandidates(member, contactId, mergeQuery) : [],
    canMerge && mergeId.success && mergeId.data !== contactId
      ? loadCustomerProfile(member, mergeId.data).catch((error: unknown) => {
          // Another workspace's or a deleted contact: no confirm step, the same as no choice.
          if (error instanceof Response && error.status === 404) return null
          throw error
        })
      : null,
  ])
  return {
    slug: member.workspaceSlug,
    contact,
    tickets,
    now: new Date().toISOString(),
    merge: { allowed: canMerge, query: mergeQuery, candidates, target: mergeTarget },
  }
}

type IntentArgs = { member: Member; contactId: string; formData: FormData; context: AppLoadContext }

/**
 * The page's forms post here with an `intent` (a form without one is the rename form, as before):
 * one small handler per intent; an unknown intent is a 400.
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const contactId = contactIdOf(params)
  const formData = await readForm(request)
  const intent = formData.get('intent') ?? 'rename'
  const handle =
    typeof intent === 'string' && Object.hasOwn(INTENTS, intent) ? INTENTS[intent as Intent] : null
  if (!handle) return data({ intent: 'unknown', error: UNKNOWN_INTENT_MESSAGE }, { status: 400 })
  try {
    return await handle({ member, contactId, formData, context })
  } catch (error) {
    // The contact was merged away meanwhile (a teammate, or this same merge posted twice): say
    // where it went, keep what was typed (with JavaScript; without, the page shows it), save nothing.
    const into = isNotFound(error) ? await customerMergedInto(member, contactId) : undefined
    if (!into) throw error
    const result: SubmissionResult<string[]> = {
      status: 'error',
      initialValue: Object.fromEntries(
        [...formData].filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      ),
      error: {},
    }
    return data({ intent: String(intent), result, mergedInto: into }, { status: 409 })
  }
}

function isNotFound(error: unknown) {
  return error instanceof Response && error.status === 404
}

/** With JavaScript, a post that gets no answer (offline) says so on the page, which stays as it was. */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

const INTENTS = {
  async rename({ member, contactId, formData, context }: IntentArgs) {
    const submission = parseSubmission(formData, { schema: RenameSchema })
    if (submission.status !== 'success') {
      return data({ intent: 'rename', result: submission.reply() }, { status: 400 })
    }
    const { events } = await renameContact(member, contactId, submission.value.name)
    context.realtime.publish(events)
    return redirect(`/w/${member.workspaceSlug}/customers/${contactId}`)
  },
  async profile({ member, contactId, formData }: IntentArgs) {
    const submission = parseSubmission(formData, { schema: CustomerProfileSchema })
    if (submission.status !== 'success') {
      return data({ intent: 'profile', result: submission.reply() }, { status: 400 })
    }
    const outcome = await updateContactProfile(member, contactId, submission.value)
    if (outcome.kind === 'teammate-saved') {
      // Nothing saved: the form keeps what was typed and shows what is stored (teammateConflict).
      return teammateConflict(submission, outcome.fields, { intent: 'profile' })
    }
    const back = submission.value.returnTo
    // Back to the card on the ticket, not the top of the page (nor the thread's #latest).
    return redirect(
      back
        ? `/w/${member.workspaceSlug}/tickets/${back}#customer`
        : `/w/${member.workspaceSlug}/customers/${contactId}`,
    )
  },
  async merge({ member, contactId, formData, context }: IntentArgs) {
    // The page offers agents no merge; a post anyway is refused before anything is read.
    if (!hasRole(member.role, MERGE_ROLE)) throw forbidden(MERGE_REFUSED)
    const submission = parseSubmission(formData, { schema: MergeSchema })
    if (submission.status !== 'success') {
      return data({ intent: 'merge', result: submission.reply() }, { status: 400 })
    }
    const { mergeId } = submission.value
    const outcome = await mergeContacts(member, { keepId: contactId, mergeId }).catch(
      async (error: unknown) => {
        // Posted twice (a double click, a retry after a lost answer): already merged into this one.
        if (isNotFound(error) && (await customerMergedInto(member, mergeId))?.id === contactId) return null
        throw error
      },
    )
    if (outcome === null) return redirect(`/w/${member.workspaceSlug}/customers/${contactId}`)
    if (outcome.kind === 'same-contact') {
      return data(
        {
          intent: 'merge',
          result: submission.reply({ formErrors: ['A customer cannot be merged into itself'] }),
        },
        { status: 400 },
      )
    }
    context.realtime.publish(outcome.events)
    return redirect(`/w/${member.workspaceSlug}/customers/${contactId}`)
  },
}
type Intent = keyof typeof INTENTS

type ActionData = {
  intent: string
  result?: SubmissionResult<string[]>
  error?: string
  mergedInto?: MergedInto
  conflict?: TeammateConflict[]
}

export default function Customer() {
  const page = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>() as ActionData | undefined
  if ('mergedInto' in page && page.mergedInto)
    return <MergedAway slug={page.slug} into={page.mergedInto} actionData={actionData} />
  return <CustomerPage page={page} actionData={actionData} />
}

/** A contact merged away: where it went, and what a form posted here without JavaScript held. */
function MergedAway({ slug, into, actionData }: { slug: string; into: MergedInto; actionData?: ActionData }) {
  const typed = Object.entries(actionData?.result?.initialValue ?? {}).filter(
    (entry): entry is [string, string] =>
      ['name', 'company', 'timeZone', 'notes'].includes(entry[0]) &&
      typeof entry[1] === 'string' &&
      entry[1] !== '',
  )
  return (
    <div className="max-w-3xl space-y-4">
      <h1 className="text-2xl font-semibold">Customer merged</h1>
      <MergedNotice slug={slug} into={into} unsaved={typed.length > 0} />
      {typed.length > 0 ? (
        <dl className="space-y-2 text-sm">
          {typed.map(([name, value]) => (
            <div key={name}>
              <dt className="font-medium">{TYPED_LABEL[name] ?? name}</dt>
              <dd className="whitespace-pre-wrap break-words rounded-md border border-slate-200 p-2 dark:border-slate-700">
                {value}
              </dd>
            </div>
          ))}
        </dl>
      ) : null}
    </div>
  )
}

const TYPED_LABEL: Record<string, string> = {
  name: 'Name',
  company: 'Company',
  timeZone: 'Time zone',
  notes: 'Private notes',
}

type CustomerData = Exclude<ReturnType<typeof useLoaderData<typeof loader>>, { mergedInto: unknown }>

function CustomerPage({ page, actionData }: { page: CustomerData; actionData?: ActionData }) {
  const format = useFormatters()
  const { slug, contact, tickets, now, merge } = page
  const resultFor = (intent: string) => (actionData?.intent === intent ? actionData.result : undefined)
  const pending = useIsPending('rename')
  const stored = { name: contact.name }
  const [form, fields] = useSchemaForm(RenameSchema, {
    id: `contact-${contact.id}`,
    lastResult: resultFor('rename'),
    defaultValue: stored,
  })
  // A teammate's rename seen when this page reloads its data shows in the field unless this agent
  // is typing a name there (useDrawnValues; one field, the last save wins).
  const { overwritten } = useDrawnValues(`contact-${contact.id}`, stored, { update: form.update })
  const customerUrl = `/w/${slug}/customers/${contact.id}`
  return (
    <div className="max-w-5xl">
      <p className="text-sm">
        <Link to={`/w/${slug}/customers`} className="text-indigo-700 hover:underline dark:text-indigo-300">
          <ChevronLeft className="inline size-4 align-[-3px]" />
          Customers
        </Link>
      </p>
      <h1 className="mt-2 text-2xl font-semibold">
        {contact.name || <span className="italic text-slate-500">No name</span>}
      </h1>
      {actionData?.error ? <FormErrors id="customer-page-error" errors={[actionData.error]} /> : null}
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
        <span className="break-all">{contact.email}</span>
        {contact.company ? ` · ${contact.company}` : ''} · customer since{' '}
        <time dateTime={contact.createdAt}>{format.dateTime(contact.createdAt)}</time>
        {contact.bouncing ? (
          <Badge tone="danger" className="ml-2">
            Bouncing{contact.bouncing.reason ? `: ${contact.bouncing.reason}` : ''}
          </Badge>
        ) : null}
      </p>

      <section className="mt-8">
        <h2 className="text-lg font-medium">
          Tickets <span className="text-slate-500 dark:text-slate-400">({contact.ticketCount})</span>
        </h2>
        {tickets.rows.length === 0 ? (
          <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">No tickets yet.</p>
        ) : (
          <div className="mt-3">
            <QueueTable
              rows={tickets.rows}
              now={now}
              slug={slug}
              searching={false}
              lastResult={undefined}
              selectable={false}
            />
            <nav aria-label="Ticket pages" className="mt-3 flex gap-4 text-sm">
              {tickets.prevCursor ? (
                <Link
                  to={`${customerUrl}?${new URLSearchParams({ before: tickets.prevCursor })}`}
                  className="inline-flex min-h-6 items-center hover:underline"
                >
                  <ChevronLeft className="inline size-4 align-[-3px]" />
                  Newer
                </Link>
              ) : null}
              {tickets.nextCursor ? (
                <Link
                  to={`${customerUrl}?${new URLSearchParams({ after: tickets.nextCursor })}`}
                  className="inline-flex min-h-6 items-center hover:underline"
                >
                  Older
                  <ChevronRight className="inline size-4 align-[-3px]" />
                </Link>
              ) : null}
            </nav>
          </div>
        )}
      </section>

      <div className="mt-10 grid gap-10 md:grid-cols-2">
        <section>
          <h2 className="text-lg font-medium">Name</h2>
          <Form method="post" {...getFormProps(form)} className="mt-3 flex items-start gap-2">
            <input type="hidden" name="intent" value="rename" />
            <div className="flex-1">
              <Field
                label="Customer name"
                inputProps={{ ...getInputProps(fields.name, { type: 'text' }), maxLength: PERSON_NAME_MAX }}
                errors={fields.name.errors}
              />
              <TeammateSaved
                fields={overwritten.map(() => ({ label: 'the customer name', value: contact.name }))}
              />
            </div>
            <Button type="submit" pending={pending} className="mt-6">
              Save name
            </Button>
          </Form>
        </section>

        <section>
          <h2 className="text-lg font-medium">Details</h2>
          <div className="mt-3">
            <CustomerProfileForm
              slug={slug}
              contact={contact}
              pageResult={resultFor('profile')}
              pageConflict={actionData?.intent === 'profile' ? actionData.conflict : undefined}
            />
          </div>
        </section>
      </div>

      <MergeCustomer slug={slug} contact={contact} merge={merge} lastResult={resultFor('merge')} />
    </div>
  )
}
