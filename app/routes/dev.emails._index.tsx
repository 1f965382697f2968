import type { MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { listOutbox, requireLocalProfile } from '#app/domain/dev-emails.server.ts'

export const meta: MetaFunction = () => [{ title: 'Outbox · Switchboard (local)' }]

/** Every email the app has sent through the local outbox, newest first. Local profile only. */
export async function loader() {
  requireLocalProfile()
  return { emails: await listOutbox() }
}

const formatTime = (date: Date) =>
  date.toLocaleString('en', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' })

export default function DevEmails() {
  const { emails } = useLoaderData<typeof loader>()
  return (
    <main className="mx-auto max-w-6xl p-6">
      <p className="text-sm font-medium text-amber-700 dark:text-amber-400">Local profile · developer tool</p>
      <h1 className="mt-1 text-2xl font-semibold">Outbox</h1>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
        Emails the app has sent, newest first. In production they go out through SendGrid instead.
      </p>
      {emails.length === 0 ? (
        <p className="mt-8 rounded-lg border border-dashed border-slate-300 p-8 text-center text-sm dark:border-slate-700">
          No emails yet. Submit the public support form or reply to a ticket to see one here.
        </p>
      ) : (
        <table className="mt-6 w-full text-left text-sm">
          <thead className="border-b border-slate-200 text-slate-500 dark:border-slate-800 dark:text-slate-400">
            <tr>
              <th scope="col" className="py-2 pr-4 font-medium">
                To
              </th>
              <th scope="col" className="py-2 pr-4 font-medium">
                Subject
              </th>
              <th scope="col" className="py-2 pr-4 font-medium">
                Kind
              </th>
              <th scope="col" className="py-2 pr-4 font-medium">
                Status
              </th>
              <th scope="col" className="py-2 font-medium">
                Created (UTC)
              </th>
            </tr>
          </thead>
          <tbody>
            {emails.map((email) => (
              <tr key={email.id} className="border-b border-slate-100 dark:border-slate-800/60">
                <td className="py-2 pr-4">{email.toAddress}</td>
                <td className="py-2 pr-4">
                  <Link
                    className="text-indigo-600 underline dark:text-indigo-400"
                    to={`/dev/emails/${email.id}`}
                  >
                    {email.subject}
                  </Link>
                </td>
                <td className="py-2 pr-4">{email.kind}</td>
                <td className="py-2 pr-4">{email.status}</td>
                <td className="py-2 whitespace-nowrap">
                  <time dateTime={email.createdAt.toISOString()}>{formatTime(email.createdAt)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  )
}
