import { Form, Link } from '@remix-run/react'
import { CustomerProfileForm } from '#app/components/customer/profile-form.tsx'
import { RelativeTime } from '#app/components/queue/relative-time.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { Field, TextareaField } from '#app/components/ui/field.tsx'
import {
  COMPANY_MAX,
  localTime,
  NOTES_MAX,
  profileBase,
  TIME_ZONE_NAME_MAX,
} from '#app/utils/customer-profile.ts'
import { useFormatters } from '#app/utils/use-formatters.ts'
import { useHydrated } from '#app/utils/use-hydrated.ts'
import { Badge, StatusBadge } from '#app/components/ui/badge.tsx'
import type { TicketStatus } from '#app/utils/vocabulary.ts'

export type CustomerCardProps = {
  slug: string
  /** The open ticket: the card lists the customer's other conversations and comes back here. */
  ticketNumber: number
  now: string
  customer: {
    id: string
    name: string
    email: string
    company: string | null
    timeZone: string | null
    notes: string
    bouncing: { at: string; reason: string | null } | null
    ticketCount: number
    others: Array<{
      id: string
      number: number
      subject: string
      status: TicketStatus
      lastActivityAt: string
    }>
  }
}

/** Who the customer is, at a glance: contact, company, local time, history and private notes. */
export function CustomerCard({ slug, ticketNumber, now, customer }: CustomerCardProps) {
  const format = useFormatters()
  const hydrated = useHydrated()
  const customerUrl = `/w/${slug}/customers/${customer.id}`
  return (
    // `#customer`: saving the profile comes back here (the customer page's profile intent).
    <section id="customer" aria-labelledby="customer-card-heading" className="scroll-mt-4 space-y-3 text-sm">
      <h2
        id="customer-card-heading"
        className="text-xs font-semibold tracking-wide text-slate-600 uppercase dark:text-slate-400"
      >
        Customer
      </h2>
      <div>
        <p className="flex flex-wrap items-center gap-2">
          <Link to={customerUrl} className="font-medium text-indigo-700 hover:underline dark:text-indigo-300">
            {customer.name || customer.email}
          </Link>
          {customer.bouncing ? (
            <Badge
              tone="danger"
              title={`Email to this address bounced on ${format.dateTimeWithZone(customer.bouncing.at)}${customer.bouncing.reason ? `: ${customer.bouncing.reason}` : ''}`}
            >
              Bouncing
            </Badge>
          ) : null}
        </p>
        <p className="break-all text-slate-600 dark:text-slate-400">{customer.email}</p>
        {customer.company ? <p>{customer.company}</p> : null}
        {customer.timeZone ? (
          <p className="text-slate-600 dark:text-slate-400">
            <span title={customer.timeZone}>{`${localTime(now, customer.timeZone)} local`}</span>
          </p>
        ) : null}
        <p className="text-slate-600 dark:text-slate-400">
          {customer.ticketCount === 1 ? '1 ticket' : `${customer.ticketCount} tickets`}
        </p>
      </div>

      {customer.others.length > 0 ? (
        <div>
          <h3 className="font-medium">Other conversations</h3>
          <ul className="mt-1 space-y-1">
            {customer.others.map((t) => (
              <li key={t.id} className="flex items-baseline gap-2">
                <StatusBadge status={t.status} />
                <Link to={`/w/${slug}/tickets/${t.number}`} className="min-w-0 truncate hover:underline">
                  #{t.number} {t.subject}
                </Link>
                <span className="ml-auto shrink-0 text-xs text-slate-500 dark:text-slate-400">
                  <RelativeTime iso={t.lastActivityAt} now={now} />
                </span>
              </li>
            ))}
          </ul>
          {customer.ticketCount > customer.others.length + 1 ? (
            <Link
              to={customerUrl}
              className="mt-1 inline-block text-indigo-700 hover:underline dark:text-indigo-300"
            >
              All {customer.ticketCount} tickets
            </Link>
          ) : null}
        </div>
      ) : null}

      {customer.notes ? (
        <div>
          <h3 className="font-medium">Notes</h3>
          <p className="mt-1 whitespace-pre-wrap break-words text-slate-700 dark:text-slate-300">
            {customer.notes}
          </p>
        </div>
      ) : null}

      <details className="group">
        <summary className="cursor-pointer text-indigo-700 hover:underline dark:text-indigo-300">
          Edit company, time zone and notes
        </summary>
        <div className="mt-2">
          {hydrated ? (
            <CustomerProfileForm slug={slug} contact={customer} returnTo={ticketNumber} />
          ) : (
            <PlainProfileForm slug={slug} contact={customer} returnTo={ticketNumber} />
          )}
        </div>
      </details>
    </section>
  )
}

/**
 * The profile form as the server renders it (and the browser until hydrated): the same fields,
 * limits and post (the customer page's `profile` intent, back to this ticket) as
 * CustomerProfileForm, as a plain form. Without JavaScript it is the form; with it, the Conform
 * form with in-place errors replaces it once hydrated. Conform's form state on every ticket page
 * render, for a form that starts closed, was ~3% of the page's server CPU (issue 12).
 */
function PlainProfileForm({
  slug,
  contact,
  returnTo,
}: {
  slug: string
  contact: CustomerCardProps['customer']
  returnTo: number
}) {
  const id = `profile-${contact.id}-card`
  return (
    <Form method="post" action={`/w/${slug}/customers/${contact.id}`} id={id} className="space-y-1">
      <input type="hidden" name="intent" value="profile" />
      <input type="hidden" name="base" value={profileBase(contact)} />
      <input type="hidden" name="returnTo" value={returnTo} />
      <Field
        label="Company"
        inputProps={{
          id: `${id}-company`,
          name: 'company',
          type: 'text',
          defaultValue: contact.company ?? '',
          maxLength: COMPANY_MAX,
        }}
      />
      <Field
        label="Time zone"
        inputProps={{
          id: `${id}-timeZone`,
          name: 'timeZone',
          type: 'text',
          defaultValue: contact.timeZone ?? '',
          maxLength: TIME_ZONE_NAME_MAX,
          placeholder: 'Europe/Paris',
          autoComplete: 'off',
        }}
        hint="A name such as America/New_York; leave empty when unknown."
      />
      <TextareaField
        label="Private notes"
        textareaProps={{
          id: `${id}-notes`,
          name: 'notes',
          defaultValue: contact.notes,
          maxLength: NOTES_MAX,
        }}
        hint="Only agents of this workspace see these."
      />
      <Button type="submit" variant="secondary">
        Save customer details
      </Button>
    </Form>
  )
}
