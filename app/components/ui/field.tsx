import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes, TextareaHTMLAttributes } from 'react'

const CONTROL_CLASS =
  'block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm aria-[invalid]:border-red-500 dark:border-slate-700 dark:bg-slate-900'

type Described = { 'aria-invalid': true | undefined; 'aria-describedby': string | undefined }

/**
 * Label, control, hint and announced errors (aria-invalid + aria-describedby) for any control.
 * `control` receives the aria attributes and the shared class to spread onto the element.
 */
function FieldFrame(props: {
  id: string
  label: ReactNode
  errors?: string[]
  hint?: ReactNode
  control: (described: Described & { className: string }) => ReactNode
}) {
  const errorId = `${props.id}-error`
  const hintId = `${props.id}-hint`
  const invalid = Boolean(props.errors?.length)
  const describedBy =
    [invalid ? errorId : null, props.hint ? hintId : null].filter(Boolean).join(' ') || undefined
  return (
    <div className="space-y-1">
      <label htmlFor={props.id} className="block text-sm font-medium">
        {props.label}
      </label>
      {props.control({
        'aria-invalid': invalid || undefined,
        'aria-describedby': describedBy,
        className: CONTROL_CLASS,
      })}
      {props.hint ? (
        <p id={hintId} className="text-xs text-slate-500 dark:text-slate-400">
          {props.hint}
        </p>
      ) : null}
      <div id={errorId} className="min-h-5 text-sm text-red-600 dark:text-red-400" aria-live="polite">
        {invalid ? props.errors?.join(' ') : null}
      </div>
    </div>
  )
}

type FieldProps = {
  label: ReactNode
  inputProps: InputHTMLAttributes<HTMLInputElement> & { id: string }
  errors?: string[]
  hint?: ReactNode
}

/** A labelled input whose errors are announced. */
export function Field({ label, inputProps, errors, hint }: FieldProps) {
  return (
    <FieldFrame
      id={inputProps.id}
      label={label}
      errors={errors}
      hint={hint}
      control={(described) => <input {...inputProps} {...described} />}
    />
  )
}

type TextareaFieldProps = {
  label: ReactNode
  textareaProps: TextareaHTMLAttributes<HTMLTextAreaElement> & { id: string }
  errors?: string[]
  hint?: ReactNode
}

/** A labelled textarea whose errors are announced, like Field for inputs. */
export function TextareaField({ label, textareaProps, errors, hint }: TextareaFieldProps) {
  return (
    <FieldFrame
      id={textareaProps.id}
      label={label}
      errors={errors}
      hint={hint}
      control={(described) => <textarea rows={4} {...textareaProps} {...described} />}
    />
  )
}

type SelectFieldProps = {
  label: ReactNode
  selectProps: SelectHTMLAttributes<HTMLSelectElement> & { id: string }
  errors?: string[]
  hint?: ReactNode
  children: ReactNode
}

/** A labelled native select whose errors are announced, like Field for inputs. */
export function SelectField({ label, selectProps, errors, hint, children }: SelectFieldProps) {
  return (
    <FieldFrame
      id={selectProps.id}
      label={label}
      errors={errors}
      hint={hint}
      control={(described) => (
        <select {...selectProps} {...described}>
          {children}
        </select>
      )}
    />
  )
}

type CheckboxOption = { value: string; label: ReactNode }

/**
 * A group of checkboxes posting one field name (API scopes, webhook events): a fieldset with its
 * legend, the options, and the group's errors announced. `extra` adds other checkboxes inside it.
 */
export function CheckboxGroupField(props: {
  legend: string
  name: string
  errorId: string
  options: CheckboxOption[]
  /** Conform's initialValue: one value or several. */
  checked?: string | readonly (string | undefined)[]
  errors?: string[]
  extra?: ReactNode
}) {
  const invalid = Boolean(props.errors?.length)
  const checked = typeof props.checked === 'string' ? [props.checked] : (props.checked ?? [])
  return (
    <fieldset aria-describedby={invalid ? props.errorId : undefined}>
      <legend className="text-sm font-medium">{props.legend}</legend>
      <div className="mt-1 space-y-1">
        {props.options.map((option) => (
          <label key={option.value} className="flex items-start gap-2 text-sm">
            <input
              type="checkbox"
              name={props.name}
              value={option.value}
              defaultChecked={checked.includes(option.value)}
              className="mt-1"
            />
            <span>{option.label}</span>
          </label>
        ))}
        {props.extra}
      </div>
      <div id={props.errorId} className="min-h-5 text-sm text-red-600 dark:text-red-400" aria-live="polite">
        {props.errors?.join(' ')}
      </div>
    </fieldset>
  )
}

/** A checkbox option's label: the machine name in code, then what it means. */
export function CodeOption({ code, children }: { code: string; children: ReactNode }) {
  return (
    <>
      <code className="font-mono text-xs">{code}</code>{' '}
      <span className="text-slate-600 dark:text-slate-400">{children}</span>
    </>
  )
}

export function FormErrors({ id, errors }: { id: string; errors?: string[] }) {
  return (
    <div id={id} role="alert" className="min-h-5 text-sm text-red-600 dark:text-red-400">
      {errors?.length ? errors.join(' ') : null}
    </div>
  )
}
