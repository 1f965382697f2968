import { useRouteError } from '@remix-run/react'
import type { InputHTMLAttributes, ReactNode } from 'react'
import { errorPageText, errorPageTitle, type ErrorPageText } from '#app/utils/error-page.ts'
import { useHydrated } from '#app/utils/use-hydrated.ts'

/** The frame of the customer-facing pages: the workspace's name, a card, no agent chrome. */
export function SupportShell({
  workspaceName,
  children,
  wide = false,
}: {
  workspaceName?: string
  children: ReactNode
  wide?: boolean
}) {
  return (
    <main className="min-h-screen bg-slate-50 px-4 py-10 text-slate-900 dark:bg-slate-950 dark:text-slate-100">
      <div className={`mx-auto w-full ${wide ? 'max-w-3xl' : 'max-w-xl'}`}>
        {workspaceName ? (
          <p className="mb-6 text-center text-lg font-semibold text-indigo-600 dark:text-indigo-400">
            {workspaceName}
          </p>
        ) : null}
        <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8 dark:border-slate-800 dark:bg-slate-900">
          {children}
        </div>
        <p className="mt-6 text-center text-xs text-slate-500 dark:text-slate-400">Powered by Switchboard</p>
      </div>
    </main>
  )
}

/** A friendly error page for customers: no links into the agent app, no detail beyond what they need. */
export function SupportErrorBoundary({ notFound }: { notFound: ErrorPageText }) {
  const { title, detail } = errorPageText(useRouteError(), { notFound, customer: true })
  return (
    <SupportShell>
      <h1 className="text-xl font-semibold">{title}</h1>
      <p className="mt-3 text-slate-600 dark:text-slate-400">{detail}</p>
    </SupportShell>
  )
}

/** A support page's title when its ErrorBoundary shows: what the heading says. */
export function supportErrorTitle(error: unknown, notFound: ErrorPageText) {
  return errorPageTitle(errorPageText(error, { notFound, customer: true }), 'Support')
}

/** A multiple file input with its limits stated and its error announced. */
export function AttachmentsField({
  id,
  errors,
  notKept,
  ...rest
}: InputHTMLAttributes<HTMLInputElement> & {
  id: string
  errors?: string[]
  /** Files a refused post carried (filesNotKept): named to attach again when the page has no JavaScript. */
  notKept?: string[]
}) {
  const invalid = Boolean(errors?.length)
  const hydrated = useHydrated()
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium">
        Attachments <span className="font-normal text-slate-500 dark:text-slate-400">(optional)</span>
      </label>
      <input
        {...rest}
        id={id}
        name="files"
        type="file"
        multiple
        aria-invalid={invalid || undefined}
        aria-describedby={`${id}-hint${invalid ? ` ${id}-error` : ''}`}
        className="block w-full text-sm text-slate-700 file:mr-3 file:rounded-md file:border-0 file:bg-slate-100 file:px-3 file:py-2 file:text-sm file:font-medium hover:file:bg-slate-200 dark:text-slate-300 dark:file:bg-slate-800 dark:file:text-slate-100"
      />
      <p id={`${id}-hint`} className="text-xs text-slate-500 dark:text-slate-400">
        Up to 10 files, 25 MB in total. Programs and scripts are not accepted.
      </p>
      {!hydrated && notKept && notKept.length > 0 ? (
        <p className="text-sm text-amber-700 dark:text-amber-400" role="status">
          Attach {notKept.length === 1 ? 'your file' : `your ${notKept.length} files`} again:{' '}
          {notKept.join(', ')}. Files are not kept when the form is refused.
        </p>
      ) : null}
      <div id={`${id}-error`} className="min-h-5 text-sm text-red-600 dark:text-red-400" aria-live="polite">
        {invalid ? errors?.join(' ') : null}
      </div>
    </div>
  )
}
