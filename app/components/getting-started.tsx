import { Form, Link } from '@remix-run/react'
import { useState, type ReactNode } from 'react'
import { Button } from '#app/components/ui/button.tsx'
import { Check } from '#app/components/ui/icons.tsx'
import { useHydrated } from '#app/utils/use-hydrated.ts'

type Props = {
  slug: string
  supportFormUrl: string
  canManage: boolean
  done: { supportForm: boolean; teammate: boolean; answered: boolean; mailbox: boolean }
}

const linkClass = 'text-indigo-700 underline hover:no-underline dark:text-indigo-300'

/**
 * The first steps of a new workspace. Every tick comes from the data (a web ticket arrived, a
 * teammate joined or was invited, a ticket was answered, an email came in), never from a click.
 */
export function GettingStarted({ slug, supportFormUrl, canManage, done }: Props) {
  const count = Object.values(done).filter(Boolean).length
  return (
    <section
      aria-labelledby="getting-started-heading"
      className="mt-8 rounded-lg border border-indigo-200 bg-indigo-50/50 p-5 dark:border-indigo-900 dark:bg-indigo-950/40"
    >
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="getting-started-heading" className="text-lg font-medium">
          Getting started
        </h2>
        <p className="text-sm text-slate-600 dark:text-slate-400">{count} of 4 done</p>
      </div>
      <ol className="mt-4 space-y-4">
        <Step done={done.supportForm} title="Share your support form">
          <p>
            Customers open a ticket from this page, no account needed. Link it from your website or signature.
          </p>
          <SupportFormUrl url={supportFormUrl} />
          <a href={`/support/${slug}`} target="_blank" rel="noreferrer" className={linkClass}>
            Preview the form
          </a>
        </Step>
        <Step done={done.teammate} title="Invite a teammate">
          {canManage ? (
            <Link to={`/w/${slug}/settings/members`} className={linkClass}>
              Invite someone from Settings → Members
            </Link>
          ) : (
            <p>Ask an owner or admin to invite your teammates.</p>
          )}
        </Step>
        <Step done={done.answered} title="Answer your first ticket">
          <p>
            Reply from the{' '}
            <Link to={`/w/${slug}/tickets`} className={linkClass}>
              inbox
            </Link>
            : the customer gets your answer by email.
          </p>
        </Step>
        <Step done={done.mailbox} title="Connect your mailbox">
          <p>
            Forward your support address to the mailbox&apos;s forwarding address, and emails become tickets.{' '}
            <Link to={`/w/${slug}/settings/mailboxes`} className={linkClass}>
              Settings → Mailboxes
            </Link>{' '}
            shows the address and whether mail has arrived.
          </p>
        </Step>
      </ol>
      <Form method="post" className="mt-4">
        <input type="hidden" name="intent" value="dismiss-checklist" />
        <Button type="submit" variant="secondary">
          Hide this checklist
        </Button>
      </Form>
    </section>
  )
}

function Step({ done, title, children }: { done: boolean; title: string; children: ReactNode }) {
  return (
    <li className="flex gap-3">
      <span
        aria-hidden
        className={`mt-0.5 flex size-5 shrink-0 items-center justify-center rounded-full border text-xs ${
          done
            ? 'border-emerald-600 bg-emerald-600 text-white'
            : 'border-slate-400 bg-white dark:border-slate-600 dark:bg-slate-900'
        }`}
      >
        {done ? <Check className="size-3.5" strokeWidth={3} /> : null}
      </span>
      <div className="min-w-0 space-y-1 text-sm">
        <h3 className={`font-medium ${done ? 'text-slate-500 line-through dark:text-slate-400' : ''}`}>
          {title}
          <span className="sr-only">{done ? ' (done)' : ' (to do)'}</span>
        </h3>
        {done ? null : <div className="space-y-2 text-slate-700 dark:text-slate-300">{children}</div>}
      </div>
    </li>
  )
}

function SupportFormUrl({ url }: { url: string }) {
  const hydrated = useHydrated()
  const [copied, setCopied] = useState(false)
  return (
    <div className="flex max-w-lg items-center gap-2">
      <label htmlFor="support-form-url" className="sr-only">
        Support form URL
      </label>
      <input
        id="support-form-url"
        readOnly
        value={url}
        onFocus={(e) => e.currentTarget.select()}
        className="block min-w-0 flex-1 rounded-md border border-slate-300 bg-white px-2 py-1 font-mono text-xs dark:border-slate-700 dark:bg-slate-950"
      />
      {hydrated ? (
        <button
          type="button"
          className="shrink-0 rounded-md border border-slate-300 bg-white px-2 py-1 text-xs hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900"
          onClick={() => {
            void navigator.clipboard.writeText(url).then(() => setCopied(true))
          }}
        >
          <span aria-live="polite">{copied ? 'Copied' : 'Copy link'}</span>
        </button>
      ) : null}
    </div>
  )
}
