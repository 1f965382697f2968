import type { InputHTMLAttributes, ReactNode } from 'react'

type FieldProps = {
  label: ReactNode
  inputProps: InputHTMLAttributes<HTMLInputElement> & { id: string }
  errors?: string[]
  hint?: ReactNode
}

/** A labelled input whose errors are announced (aria-invalid + aria-describedby). */
export function Field({ label, inputProps, errors, hint }: FieldProps) {
  const errorId = `${inputProps.id}-error`
  const hintId = `${inputProps.id}-hint`
  const invalid = Boolean(errors?.length)
  const describedBy = [invalid ? errorId : null, hint ? hintId : null].filter(Boolean).join(' ') || undefined
  return (
    <div className="space-y-1">
      <label htmlFor={inputProps.id} className="block text-sm font-medium">
        {label}
      </label>
      <input
        {...inputProps}
        aria-invalid={invalid || undefined}
        aria-describedby={describedBy}
        className="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm aria-[invalid]:border-red-500 dark:border-slate-700 dark:bg-slate-900"
      />
      {hint ? (
        <p id={hintId} className="text-xs text-slate-500 dark:text-slate-400">
          {hint}
        </p>
      ) : null}
      <div id={errorId} className="min-h-5 text-sm text-red-600 dark:text-red-400" aria-live="polite">
        {invalid ? errors?.join(' ') : null}
      </div>
    </div>
  )
}

export function FormErrors({ id, errors }: { id: string; errors?: string[] }) {
  return (
    <div id={id} role="alert" className="min-h-5 text-sm text-red-600 dark:text-red-400">
      {errors?.length ? errors.join(' ') : null}
    </div>
  )
}
