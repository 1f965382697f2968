import type { ReactNode } from 'react'

/**
 * A secret shown once after it was made (an API token, a webhook signing secret): we store only
 * its hash, so the page says to copy it now. The value is in a read-only input to select and copy.
 */
export function ShownOnce({
  id,
  heading,
  label,
  value,
}: {
  id: string
  heading: ReactNode
  /** The input's accessible name, e.g. "New API token". */
  label: string
  value: string
}) {
  return (
    <section
      aria-labelledby={`${id}-heading`}
      className="rounded-lg border border-amber-300 bg-amber-50 p-4 dark:border-amber-700 dark:bg-amber-950"
    >
      <h2 id={`${id}-heading`} className="font-medium">
        {heading}
      </h2>
      <p className="mt-1 text-sm">Copy it now. It is not shown again.</p>
      <label htmlFor={id} className="sr-only">
        {label}
      </label>
      <input
        id={id}
        readOnly
        value={value}
        className="mt-2 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-sm dark:border-slate-700 dark:bg-slate-900"
      />
    </section>
  )
}
