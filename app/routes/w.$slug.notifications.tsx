import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import { z } from 'zod'
import { RelativeTime } from '#app/components/queue/relative-time.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { FormErrors } from '#app/components/ui/field.tsx'
import { requireMember } from '#app/http/auth.server.ts'
import {
  markNotificationGroup,
  markNotificationsRead,
  notificationGroups,
} from '#app/domain/notifications.server.ts'
import {
  parseSubmission,
  readForm,
  searchParamsOf,
  UNKNOWN_INTENT_MESSAGE,
} from '#app/http/form-data.server.ts'
import {
  describeNotificationGroup,
  NOTIFICATION_GROUP_LIMIT,
  NOTIFICATION_KIND_FILTER_LABELS,
  NOTIFICATION_KINDS,
  type NotificationGroup,
} from '#app/utils/notification-groups.ts'
import { safeRedirect } from '#app/utils/redirect.ts'
import { useFieldFollowingUrl } from '#app/utils/use-url-value.ts'
import { keepPageWhenUnanswered } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'

export const meta: MetaFunction = () => [{ title: 'Notifications · Switchboard' }]

const FiltersSchema = z.object({
  unread: z
    .literal('1')
    .optional()
    .catch(undefined)
    .transform((v) => v === '1'),
  kind: z.enum(NOTIFICATION_KINDS).nullable().catch(null),
})

// A group of the page is a ticket's notifications, or a webhook endpoint's (no ticket).
const GroupFields = {
  ticketId: z.uuid().optional(),
  endpointId: z.uuid().optional(),
  number: z.coerce.number().int().positive().optional(),
}
const hasOneGroup = (v: { ticketId?: string; endpointId?: string }) => !!v.ticketId !== !!v.endpointId

const Schema = z.discriminatedUnion('intent', [
  // Without a number the notification is about the workspace (a disabled webhook endpoint).
  z.object({
    intent: z.literal('open'),
    id: z.uuid(),
    number: z.coerce.number().int().positive().optional(),
  }),
  z.object({ intent: z.literal('read-all') }),
  z.object({ intent: z.literal('open-group'), ...GroupFields }).refine(hasOneGroup),
  z.object({ intent: z.literal('read'), ...GroupFields }).refine(hasOneGroup),
  z.object({ intent: z.literal('unread'), ...GroupFields }).refine(hasOneGroup),
])

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const search = searchParamsOf(request)
  const filters = FiltersSchema.parse({
    unread: search.get('unread') ?? undefined,
    kind: search.get('kind'),
  })
  const groups = await notificationGroups(member, { unreadOnly: filters.unread, kind: filters.kind })
  return {
    slug: member.workspaceSlug,
    filters,
    groups,
    limited: groups.length === NOTIFICATION_GROUP_LIMIT,
    now: new Date().toISOString(),
  }
}

/**
 * Marks notifications read or unread: one (then opens its ticket), a ticket's group (from this
 * page), or all (then back where the agent was).
 */
export async function action({ request, params }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const submission = parseSubmission(await readForm(request), { schema: Schema })
  if (submission.status !== 'success') {
    // A hand-edited or stale form: said on the page (which keeps working), nothing marked.
    const unknownIntent = submission.error?.['']?.includes(UNKNOWN_INTENT_MESSAGE)
    const error = unknownIntent
      ? UNKNOWN_INTENT_MESSAGE
      : 'Those notifications could not be found, and nothing was changed. Reload the page and try again.'
    return data({ error }, { status: 400 })
  }
  const input = submission.value
  const back = safeRedirect(refererPath(request), `/w/${member.workspaceSlug}/notifications`)
  const target = (number: number | undefined) =>
    number === undefined
      ? `/w/${member.workspaceSlug}/settings/webhooks`
      : `/w/${member.workspaceSlug}/tickets/${number}`
  if (input.intent === 'open') {
    await markNotificationsRead(member.workspaceId, member.userId, [input.id])
    return redirect(target(input.number))
  }
  if (input.intent === 'read-all') {
    await markNotificationsRead(member.workspaceId, member.userId)
    return redirect(safeRedirect(refererPath(request), `/w/${member.workspaceSlug}`))
  }
  const group = input.ticketId ? { ticketId: input.ticketId } : { webhookEndpointId: input.endpointId! }
  await markNotificationGroup(member, group, input.intent !== 'unread')
  return redirect(input.intent === 'open-group' ? target(input.number) : back)
}

/** The path of the page the request came from; none when the header is absent or malformed. */
function refererPath(request: Request) {
  const referer = request.headers.get('referer')
  if (!referer || !URL.canParse(referer)) return null
  const url = new URL(referer)
  return url.pathname + url.search
}

function GroupFieldsInputs({ group }: { group: NotificationGroup }) {
  return (
    <>
      {group.ticketId ? <input type="hidden" name="ticketId" value={group.ticketId} /> : null}
      {group.webhookEndpointId ? (
        <input type="hidden" name="endpointId" value={group.webhookEndpointId} />
      ) : null}
      {group.number !== null ? <input type="hidden" name="number" value={group.number} /> : null}
    </>
  )
}

type NotificationsAction = typeof action

/**
 * With JavaScript, a post that gets no answer (offline) keeps the page: its stand-in answer's
 * `error` (the not-saved message) shows where a refusal's does.
 */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

export default function Notifications() {
  const { slug, filters, groups, limited, now } = useLoaderData<typeof loader>()
  const refused = useActionData<NotificationsAction>()
  const action = `/w/${slug}/notifications`
  const anyUnread = groups.some((g) => g.unread > 0)
  // Back and Forward show the URL's filters (React applies no new defaultChecked or defaultValue).
  const unreadRef = useFieldFollowingUrl<HTMLInputElement>(filters.unread)
  const kindRef = useFieldFollowingUrl<HTMLSelectElement>(filters.kind ?? '')
  return (
    <div className="mx-auto max-w-3xl">
      <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Notifications</h1>
        {anyUnread ? (
          <Form method="post" action={action}>
            <input type="hidden" name="intent" value="read-all" />
            <Button type="submit" variant="secondary">
              Mark all as read
            </Button>
          </Form>
        ) : null}
      </div>
      {refused?.error ? <FormErrors id="notifications-error" errors={[refused.error]} /> : null}
      <Form
        method="get"
        action={action}
        className="mb-4 flex flex-wrap items-end gap-3 rounded-md border border-slate-200 p-3 text-sm dark:border-slate-800"
        aria-label="Filter notifications"
      >
        {/* At least 24 px tall, the checkbox 16 px: the whole label is the target (WCAG 2.5.8). */}
        <label className="flex min-h-6 items-center gap-2">
          <input
            ref={unreadRef}
            type="checkbox"
            name="unread"
            value="1"
            defaultChecked={filters.unread}
            className="size-4"
          />
          Unread only
        </label>
        <label className="flex items-center gap-2">
          Kind
          <select
            ref={kindRef}
            name="kind"
            defaultValue={filters.kind ?? ''}
            className="rounded-md border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-900"
          >
            <option value="">All kinds</option>
            {NOTIFICATION_KINDS.map((k) => (
              <option key={k} value={k}>
                {NOTIFICATION_KIND_FILTER_LABELS[k]}
              </option>
            ))}
          </select>
        </label>
        <Button type="submit" variant="secondary">
          Apply
        </Button>
      </Form>
      {groups.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">
          {filters.unread || filters.kind ? 'No notifications match these filters.' : 'No notifications yet.'}
        </p>
      ) : (
        <ul
          aria-label="Notifications"
          className="divide-y divide-slate-200 rounded-md border border-slate-200 dark:divide-slate-800 dark:border-slate-800"
        >
          {groups.map((g) => (
            <li
              key={g.ticketId ?? g.webhookEndpointId}
              className="flex flex-wrap items-center gap-3 p-3"
              data-unread={g.unread > 0 || undefined}
            >
              <Form method="post" action={action} className="min-w-0 flex-1">
                <input type="hidden" name="intent" value="open-group" />
                <GroupFieldsInputs group={g} />
                <button
                  type="submit"
                  className={`block w-full text-left text-sm hover:underline ${g.unread > 0 ? 'font-semibold' : 'text-slate-600 dark:text-slate-400'}`}
                >
                  {g.unread > 0 ? <span className="sr-only">Unread: </span> : null}
                  {describeNotificationGroup(g)}
                  <span className="block truncate text-xs font-normal text-slate-600 dark:text-slate-400">
                    {g.subject}
                  </span>
                </button>
              </Form>
              <span className="text-xs text-slate-600 dark:text-slate-400">
                <RelativeTime iso={g.latestAt} now={now} />
              </span>
              <Form method="post" action={action}>
                <input type="hidden" name="intent" value={g.unread > 0 ? 'read' : 'unread'} />
                <GroupFieldsInputs group={g} />
                <button
                  type="submit"
                  className="text-xs text-indigo-700 hover:underline dark:text-indigo-300"
                >
                  {g.unread > 0 ? 'Mark read' : 'Mark unread'}
                  <span className="sr-only">: {describeNotificationGroup(g)}</span>
                </button>
              </Form>
            </li>
          ))}
        </ul>
      )}
      {limited ? (
        <p className="mt-3 text-xs text-slate-600 dark:text-slate-400">
          Showing the {NOTIFICATION_GROUP_LIMIT} most recent tickets.
        </p>
      ) : null}
    </div>
  )
}
