import type { ButtonHTMLAttributes } from 'react'

type Props = ButtonHTMLAttributes<HTMLButtonElement> & {
  pending?: boolean
  variant?: 'primary' | 'secondary' | 'danger'
}

const VARIANTS = {
  primary:
    'bg-indigo-600 text-white hover:bg-indigo-500 disabled:bg-indigo-400 aria-disabled:bg-indigo-400 aria-disabled:hover:bg-indigo-400',
  secondary:
    'border border-slate-300 bg-white text-slate-800 hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100 dark:hover:bg-slate-800',
  danger:
    'bg-red-600 text-white hover:bg-red-500 disabled:bg-red-400 aria-disabled:bg-red-400 aria-disabled:hover:bg-red-400',
}

/**
 * A button that shows and announces a pending state while its form submits. Pending, it is
 * `aria-disabled` and refuses clicks (a second submit, Enter in a field), but is not `disabled`:
 * a disabled button loses focus, and the person who pressed it was left on `<body>` (after a
 * refused save, a confirmation, an error), the next Tab starting from the top of the page.
 */
export function Button({ pending, variant = 'primary', className = '', children, onClick, ...rest }: Props) {
  return (
    <button
      {...rest}
      aria-busy={pending || undefined}
      aria-disabled={pending || rest['aria-disabled'] || undefined}
      onClick={(event) => {
        if (pending) event.preventDefault()
        else onClick?.(event)
      }}
      className={`inline-flex items-center justify-center gap-2 rounded-md px-3 py-2 text-sm font-medium shadow-sm ${VARIANTS[variant]} ${className}`}
    >
      {pending ? (
        <span
          className="size-3 animate-spin rounded-full border-2 border-current border-t-transparent"
          aria-hidden
        />
      ) : null}
      {children}
    </button>
  )
}
