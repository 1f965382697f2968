import { getFormProps, useForm, type SubmissionResult } from '@conform-to/react'
import { Form, Link } from '@remix-run/react'
import { Button } from '#app/components/ui/button.tsx'
import { FormErrors } from '#app/components/ui/field.tsx'
import { useIsPending } from '#app/utils/use-pending.ts'

type Person = { id: string; name: string; email: string; ticketCount: number }

type Props = {
  slug: string
  contact: Person
  merge: { allowed: boolean; query: string; candidates: Person[]; target: Person | null }
  lastResult?: SubmissionResult<string[]>
}

const nameOf = (p: Person) => p.name || p.email

/**
 * Merging two contacts that are the same person, in two steps that need no JavaScript: search for
 * the other contact (a GET form), then confirm on a page that says what will happen (a POST).
 */
export function MergeCustomer({ slug, contact, merge, lastResult }: Props) {
  const customerUrl = `/w/${slug}/customers/${contact.id}`
  const pending = useIsPending('merge')
  const [form] = useForm({ id: `merge-${contact.id}`, lastResult })
  const { target } = merge
  if (!merge.allowed) {
    // Merging deletes a contact for good: agents are told who can do it instead.
    return (
      <section aria-labelledby="merge-heading" className="mt-10 max-w-2xl">
        <h2 id="merge-heading" className="text-lg font-medium">
          Merge with another customer
        </h2>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
          Only owners and admins can merge customers. When this person also wrote from another address, ask
          one of them to merge the two.
        </p>
      </section>
    )
  }
  return (
    <section aria-labelledby="merge-heading" className="mt-10 max-w-2xl">
      <h2 id="merge-heading" className="text-lg font-medium">
        Merge with another customer
      </h2>
      {target ? (
        <div
          role="region"
          aria-label="Confirm the merge"
          className="mt-3 space-y-3 rounded-md border border-amber-300 bg-amber-50 p-4 text-sm dark:border-amber-800 dark:bg-amber-950"
        >
          <p className="font-medium">
            Merge {nameOf(target)} &lt;{target.email}&gt; into {nameOf(contact)} &lt;{contact.email}&gt;?
          </p>
          <ul className="list-disc space-y-1 pl-5">
            <li>
              {target.ticketCount === 1 ? 'Their 1 ticket' : `Their ${target.ticketCount} tickets`}, with the
              messages and emails, move to {contact.email}.
            </li>
            <li>Their notes are added to this customer&apos;s notes.</li>
            <li>The contact {target.email} is deleted. This cannot be undone.</li>
          </ul>
          <Form
            method="post"
            action={customerUrl}
            {...getFormProps(form)}
            className="flex flex-wrap items-center gap-3"
          >
            <input type="hidden" name="intent" value="merge" />
            <input type="hidden" name="mergeId" value={target.id} />
            <Button type="submit" variant="danger" pending={pending}>
              Merge customers
            </Button>
            <Link to={customerUrl} className="hover:underline">
              Cancel
            </Link>
            <Link
              to={`/w/${slug}/customers/${target.id}?${new URLSearchParams({ merge: contact.id })}`}
              className="text-indigo-700 hover:underline dark:text-indigo-300"
            >
              Keep {target.email} instead
            </Link>
          </Form>
          <FormErrors id={form.errorId} errors={form.errors} />
        </div>
      ) : (
        <>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            When this person also wrote from another address, find that contact and merge it into this one.
          </p>
          <Form method="get" action={customerUrl} className="mt-3 flex items-end gap-2">
            <div className="flex-1">
              <label htmlFor="merge-q" className="block text-sm font-medium">
                Find the other customer
              </label>
              <input
                id="merge-q"
                name="merge_q"
                type="search"
                defaultValue={merge.query}
                maxLength={200}
                placeholder="Name or email"
                className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm dark:border-slate-700 dark:bg-slate-900"
              />
            </div>
            <Button type="submit" variant="secondary">
              Find
            </Button>
          </Form>
          {merge.query ? (
            merge.candidates.length === 0 ? (
              <p className="mt-3 text-sm text-slate-600 dark:text-slate-400">No other customer matches.</p>
            ) : (
              <ul
                aria-label="Customers to merge"
                className="mt-3 divide-y divide-slate-200 text-sm dark:divide-slate-800"
              >
                {merge.candidates.map((c) => (
                  <li key={c.id} className="flex items-center justify-between gap-3 py-2">
                    <span className="min-w-0">
                      <span className="font-medium">{nameOf(c)}</span>{' '}
                      <span className="break-all text-slate-600 dark:text-slate-400">{c.email}</span>{' '}
                      <span className="text-slate-500 dark:text-slate-400">
                        · {c.ticketCount === 1 ? '1 ticket' : `${c.ticketCount} tickets`}
                      </span>
                    </span>
                    <Link
                      to={`${customerUrl}?${new URLSearchParams({ merge: c.id })}`}
                      className="shrink-0 text-indigo-700 hover:underline dark:text-indigo-300"
                      aria-label={`Merge ${c.email} into this customer`}
                    >
                      Merge…
                    </Link>
                  </li>
                ))}
              </ul>
            )
          ) : null}
        </>
      )}
    </section>
  )
}
