import type { ReactNode, TextareaHTMLAttributes } from 'react'

type TextareaFieldProps = {
  label: ReactNode
  textareaProps: TextareaHTMLAttributes<HTMLTextAreaElement> & { id: string }
  errors?: string[]
  hint?: ReactNode
}

/** A labelled textarea whose errors are announced, like Field for inputs. */
export function TextareaField({ label, textareaProps, errors, hint }: TextareaFieldProps) {
  const errorId = `${textareaProps.id}-error`
  const hintId = `${textareaProps.id}-hint`
  const invalid = Boolean(errors?.length)
  const describedBy = [invalid ? errorId : null, hint ? hintId : null].filter(Boolean).join(' ') || undefined
  return (
    <div className="space-y-1">
      <label htmlFor={textareaProps.id} className="block text-sm font-medium">
        {label}
      </label>
      <textarea
        rows={4}
        {...textareaProps}
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
