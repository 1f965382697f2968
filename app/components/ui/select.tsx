import type { SelectHTMLAttributes } from 'react'

export const SELECT_CLASS =
  'block rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm aria-[invalid]:border-red-500 dark:border-slate-700 dark:bg-slate-900'

/**
 * A select. Deliberately the native <select>, styled, not a Radix Select: it posts with its form
 * without JavaScript, works with every screen reader and opens the phone's own picker. (Radix
 * Select needs JavaScript and a hidden native select to post.) With a label, use SelectField.
 */
export function Select({ className = '', ...props }: SelectHTMLAttributes<HTMLSelectElement>) {
  return <select {...props} className={`${SELECT_CLASS} ${className}`} />
}
