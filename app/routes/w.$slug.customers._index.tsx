import { data, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useLoaderData, useNavigation } from '@remix-run/react'
import { z } from 'zod'
import { ChevronLeft, ChevronRight } from '#app/components/ui/icons.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { EmptyState } from '#app/components/ui/empty-state.tsx'
import { PageLinkRefused } from '#app/components/ui/page-link-refused.tsx'
import { searchContacts } from '#app/domain/contacts.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { searchParamsOf } from '#app/http/form-data.server.ts'
import { useFormatters } from '#app/utils/use-formatters.ts'
import { useFieldFollowingUrl } from '#app/utils/use-url-value.ts'
import { sliceWhole } from '#app/utils/well-formed.ts'

export const meta: MetaFunction = () => [{ title: 'Customers · Switchboard' }]

const MAX_QUERY = 1000

const SearchParamsSchema = z.object({
  q: z.string().trim().optional().catch(undefined),
  after: z.string().optional().catch(undefined),
  before: z.string().optional().catch(undefined),
})

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const searchParams = searchParamsOf(request)
  const search = SearchParamsSchema.parse({
    q: searchParams.get('q') ?? undefined,
    after: searchParams.get('after') ?? undefined,
    before: searchParams.get('before') ?? undefined,
  })
  const q = search.q || undefined
  const base = { slug: member.workspaceSlug, q: q ?? '' }
  if (q && q.length > MAX_QUERY) {
    return {
      ...base,
      error: `Search for at most ${MAX_QUERY} characters.`,
      customers: [],
      next: null,
      prev: null,
      cursorRefused: false,
    }
  }
  const page = await searchContacts(member.workspaceId, { q, after: search.after, before: search.before })
  const answer = {
    ...base,
    error: null,
    customers: page.contacts.map((c) => ({ ...c, createdAt: c.createdAt.toISOString() })),
    next: page.next,
    prev: page.prev,
    cursorRefused: page.cursorRefused,
  }
  // A page link that is not one of this list's: the first page, saying so, with a 400 (as the inbox).
  return page.cursorRefused ? data(answer, { status: 400 }) : answer
}

function pageLink(q: string, key: 'after' | 'before', cursor: string) {
  const params = new URLSearchParams()
  if (q) params.set('q', q)
  params.set(key, cursor)
  return `?${params}`
}

export default function Customers() {
  const format = useFormatters()
  const { slug, q, error, customers, next, prev, cursorRefused } = useLoaderData<typeof loader>()
  const navigation = useNavigation()
  const searchRef = useFieldFollowingUrl<HTMLInputElement>(q)
  const searching = navigation.state === 'loading' && navigation.location.pathname === `/w/${slug}/customers`
  return (
    <div className="max-w-5xl">
      <h1 className="text-2xl font-semibold">Customers</h1>
      <Form
        method="get"
        role="search"
        aria-label="Search customers"
        className="mt-4 flex max-w-xl items-end gap-2"
      >
        <div className="flex-1 space-y-1">
          <label htmlFor="customer-search" className="block text-sm font-medium">
            Search by name or email
          </label>
          <input
            id="customer-search"
            type="search"
            name="q"
            defaultValue={q}
            ref={searchRef}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'customer-search-error' : undefined}
            className="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm aria-[invalid]:border-red-500 dark:border-slate-700 dark:bg-slate-900"
          />
        </div>
        <Button type="submit" pending={searching}>
          Search
        </Button>
      </Form>
      <div
        id="customer-search-error"
        className="mt-1 min-h-5 text-sm text-red-600 dark:text-red-400"
        aria-live="polite"
      >
        {error}
      </div>
      {cursorRefused ? <PageLinkRefused /> : null}
      {customers.length === 0 ? (
        <EmptyState className="mt-4 p-10">
          {q ? `No customers match “${q.length > 80 ? `${sliceWhole(q, 80)}…` : q}”.` : 'No customers yet.'}
        </EmptyState>
      ) : (
        <table className="mt-4 w-full text-left text-sm" aria-busy={searching || undefined}>
          <thead className="text-slate-500 dark:text-slate-400">
            <tr>
              <th className="py-2 font-medium">Name</th>
              <th className="py-2 font-medium">Email</th>
              <th className="py-2 text-right font-medium">Tickets</th>
              <th className="py-2 pl-6 font-medium">Customer since</th>
            </tr>
          </thead>
          <tbody>
            {customers.map((c) => (
              <tr key={c.id} className="border-t border-slate-200 dark:border-slate-800">
                <td className="py-2">
                  <Link
                    to={`/w/${slug}/customers/${c.id}`}
                    className="font-medium text-indigo-700 hover:underline dark:text-indigo-300"
                  >
                    {c.name || <span className="italic text-slate-500">No name</span>}
                  </Link>
                </td>
                <td className="py-2 break-all">{c.email}</td>
                <td className="py-2 text-right tabular-nums">{c.ticketCount}</td>
                <td className="py-2 pl-6">
                  <time dateTime={c.createdAt}>{format.date(c.createdAt)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {prev || next ? (
        <nav aria-label="Pages" className="mt-4 flex gap-3 text-sm">
          {prev ? (
            <Link
              to={pageLink(q, 'before', prev)}
              className="inline-flex min-h-6 items-center text-indigo-700 hover:underline dark:text-indigo-300"
            >
              <ChevronLeft className="inline size-4 align-[-3px]" />
              Previous
            </Link>
          ) : null}
          {next ? (
            <Link
              to={pageLink(q, 'after', next)}
              className="inline-flex min-h-6 items-center text-indigo-700 hover:underline dark:text-indigo-300"
            >
              Next
              <ChevronRight className="inline size-4 align-[-3px]" />
            </Link>
          ) : null}
        </nav>
      ) : null}
    </div>
  )
}
