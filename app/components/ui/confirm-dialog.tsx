import { Form, Link, useLocation, useSubmit } from '@remix-run/react'
import { useRef, useState, type ReactNode } from 'react'
import { Button } from '#app/components/ui/button.tsx'
import { useLazyModule } from '#app/components/ui/lazy.ts'
import { useHydrated } from '#app/utils/use-hydrated.ts'
import { CONFIRMED_FIELD, type ConfirmStep } from '#app/utils/confirmation.ts'

type ConfirmButtonProps = {
  /** The question, e.g. "Remove Ana Lopez from the workspace?" (or made from the form when asked). */
  title: string | ((form: HTMLFormElement) => string)
  description?: string
  /** What the action applies to, listed under the question (made from the form when it opens). */
  items?: (form: HTMLFormElement) => string[]
  confirmLabel: string
  /** Ask only when this says so (a bulk change of more than 10 tickets); always when omitted. */
  when?: (form: HTMLFormElement) => boolean
  /** The button's own name/value (a submitter that names the operation) travel with the confirmation. */
  name?: string
  value?: string
  variant?: 'primary' | 'secondary' | 'danger'
  pending?: boolean
  disabled?: boolean
  className?: string
  'aria-label'?: string
  tooltip?: string
  children: ReactNode
}

const loadDialog = () => import('#app/components/ui/dialog.tsx')

/**
 * The submit button of a destructive form. With JavaScript a click opens a dialog ("Are you
 * sure?", the Radix Dialog, fetched when the pointer or focus first reaches the button);
 * confirming posts the form with `confirmed=1`. Without JavaScript the click posts the form as it
 * is, and the action answers with a confirmation page (ConfirmStepPage) whose own form carries
 * `confirmed=1`: nothing changes on the first post either way.
 */
export function ConfirmButton(props: ConfirmButtonProps) {
  const hydrated = useHydrated()
  const dialog = useLazyModule(loadDialog)
  const owner = useRef<HTMLFormElement | null>(null)
  const submit = useSubmit()
  const [open, setOpen] = useState(false)
  const [question, setQuestion] = useState(typeof props.title === 'string' ? props.title : '')
  const [items, setItems] = useState<string[]>([])
  function confirm() {
    const form = owner.current
    setOpen(false)
    if (!form) return
    const formData = new FormData(form)
    if (props.name) formData.set(props.name, props.value ?? '')
    formData.set(CONFIRMED_FIELD, '1')
    submit(formData, { method: 'post', action: form.getAttribute('action') ?? undefined })
  }
  const Dialog = dialog.module?.Dialog
  return (
    <>
      <Button
        type="submit"
        name={props.name}
        value={props.value}
        variant={props.variant ?? 'danger'}
        pending={props.pending}
        disabled={props.disabled}
        className={props.className}
        aria-label={props['aria-label']}
        title={props.tooltip}
        onPointerEnter={hydrated ? dialog.request : undefined}
        onFocus={hydrated ? dialog.request : undefined}
        onClick={
          hydrated
            ? (event) => {
                const form = event.currentTarget.form
                if (props.when && form && !props.when(form)) return
                owner.current = form
                if (form && typeof props.title === 'function') setQuestion(props.title(form))
                if (form && props.items) setItems(props.items(form))
                event.preventDefault()
                dialog.request()
                setOpen(true)
              }
            : undefined
        }
      >
        {props.children}
      </Button>
      {Dialog ? (
        <Dialog open={open} onOpenChange={setOpen} title={question} description={props.description}>
          {items.length ? <AppliesTo items={items} /> : null}
          <div className="mt-5 flex justify-end gap-2">
            <Button type="button" variant="secondary" onClick={() => setOpen(false)} autoFocus>
              Cancel
            </Button>
            <Button type="button" variant={props.variant ?? 'danger'} onClick={confirm}>
              {props.confirmLabel}
            </Button>
          </div>
        </Dialog>
      ) : null}
    </>
  )
}

/**
 * The no-JavaScript confirmation page an action answers a destructive first post with: the
 * question, and a form that posts the same fields again with `confirmed=1`, or Cancel.
 */
export function ConfirmStepPage({ step }: { step: ConfirmStep }) {
  const location = useLocation()
  return (
    <section
      aria-labelledby="confirm-step-title"
      className="max-w-lg space-y-4 rounded-lg border border-red-200 bg-red-50/60 p-5 dark:border-red-900 dark:bg-red-950/30"
    >
      <h2 id="confirm-step-title" className="text-lg font-semibold">
        {step.title}
      </h2>
      {step.description ? (
        <p className="text-sm text-slate-700 dark:text-slate-300">{step.description}</p>
      ) : null}
      {step.items ? <AppliesTo items={step.items} /> : null}
      <Form method="post" className="flex flex-wrap gap-2">
        {step.fields.map(([name, value], i) => (
          <input key={`${name}-${i}`} type="hidden" name={name} value={value} />
        ))}
        <input type="hidden" name={CONFIRMED_FIELD} value="1" />
        <Button type="submit" variant="danger">
          {step.confirmLabel}
        </Button>
        <Link
          to={location.pathname + location.search}
          className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium dark:border-slate-700 dark:bg-slate-900"
        >
          Cancel
        </Link>
      </Form>
    </section>
  )
}

/** The list of what a confirmation applies to (the tickets of a bulk change), with and without JavaScript. */
function AppliesTo({ items }: { items: string[] }) {
  return (
    <ul aria-label="Applies to" className="mt-3 list-disc space-y-0.5 pl-5 text-sm break-words">
      {items.map((item, i) => (
        <li key={i}>{item}</li>
      ))}
    </ul>
  )
}
