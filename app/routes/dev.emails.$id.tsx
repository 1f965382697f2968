import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { ChevronLeft } from '#app/components/ui/icons.tsx'
import { getOutboxEmail, requireLocalProfile } from '#app/domain/dev-emails.server.ts'
import { notFound } from '#app/domain/errors.server.ts'
import { formatBytes } from '#app/utils/format.ts'

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `${data.email.subject} · Outbox` : 'Outbox' },
  // Emails carry customers' private links: never leak them in a Referer.
  { name: 'referrer', content: 'no-referrer' },
]

/** One email of the local outbox: headers, text, and the HTML in a sandboxed frame. Local profile only. */
export async function loader({ params }: LoaderFunctionArgs) {
  requireLocalProfile()
  const email = await getOutboxEmail(params.id ?? '')
  if (!email) throw notFound()
  return { email }
}

export default function DevEmail() {
  const { email } = useLoaderData<typeof loader>()
  const headerRows: Array<[string, string]> = [
    ['From', `${email.fromName} <${email.fromAddress}>`],
    ['To', email.toAddress],
    ...(email.replyTo ? [['Reply-To', email.replyTo] as [string, string]] : []),
    ['Subject', email.subject],
    ...Object.entries(email.headers),
    ['Kind', email.kind],
    ['Status', email.error ? `${email.status} (${email.error})` : email.status],
    ['Created', email.createdAt.toISOString()],
    ...(email.sentAt ? [['Sent', email.sentAt.toISOString()] as [string, string]] : []),
  ]
  return (
    <main className="mx-auto max-w-5xl p-6">
      <Link className="text-sm text-indigo-600 underline dark:text-indigo-400" to="/dev/emails">
        <ChevronLeft className="inline size-4 align-[-3px]" />
        Outbox
      </Link>
      <h1 className="mt-2 text-2xl font-semibold break-words">{email.subject}</h1>
      <section aria-labelledby="headers-heading" className="mt-6">
        <h2 id="headers-heading" className="text-lg font-semibold">
          Headers
        </h2>
        <dl className="mt-2 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 font-mono text-xs">
          {headerRows.map(([name, value]) => (
            <div key={name} className="contents">
              <dt className="text-slate-500 dark:text-slate-400">{name}</dt>
              <dd className="break-all">{value}</dd>
            </div>
          ))}
        </dl>
      </section>
      <section aria-labelledby="attachments-heading" className="mt-8">
        <h2 id="attachments-heading" className="text-lg font-semibold">
          Attachments
        </h2>
        {email.attachments.length === 0 && email.missingFiles === 0 ? (
          <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">None</p>
        ) : (
          <ul className="mt-2 list-disc pl-6 text-sm">
            {email.attachments.map((file, i) => (
              <li key={i}>
                {file.filename} ({file.contentType}, {formatBytes(file.size)})
              </li>
            ))}
            {email.missingFiles > 0 ? (
              <li>{email.missingFiles} file(s) no longer exist: sending this email fails</li>
            ) : null}
          </ul>
        )}
      </section>
      <section aria-labelledby="html-heading" className="mt-8">
        <h2 id="html-heading" className="text-lg font-semibold">
          HTML version
        </h2>
        {/* An empty sandbox: no scripts, no same origin, no forms, no top navigation. */}
        <iframe
          title="HTML version of the email"
          sandbox=""
          srcDoc={email.html}
          className="mt-2 h-[32rem] w-full rounded-md border border-slate-200 bg-white dark:border-slate-800"
        />
      </section>
      <section aria-labelledby="text-heading" className="mt-8">
        <h2 id="text-heading" className="text-lg font-semibold">
          Text version
        </h2>
        {/* Focusable (a named region, so focus lands on something announced), so a keyboard can
            scroll it when a long line overflows. */}
        <pre
          tabIndex={0}
          role="region"
          aria-label="Email text"
          className="mt-2 overflow-x-auto rounded-md border border-slate-200 bg-slate-50 p-4 text-sm whitespace-pre-wrap dark:border-slate-800 dark:bg-slate-900"
        >
          {email.text}
        </pre>
      </section>
    </main>
  )
}
