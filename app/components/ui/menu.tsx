import { Form, Link } from '@remix-run/react'
import { forwardRef, useRef, type ReactNode } from 'react'
import { useLazyModule } from '#app/components/ui/lazy.ts'
import { useHydrated } from '#app/utils/use-hydrated.ts'

/** What a menu holds: links, one-button forms, plain text and separators. */
export type MenuEntry =
  | { type: 'link'; key: string; to: string; label: ReactNode; current?: boolean; className?: string }
  | {
      type: 'form'
      key: string
      action: string
      fields?: Record<string, string>
      label: ReactNode
      className?: string
    }
  | { type: 'text'; key: string; label: ReactNode; className?: string }
  | { type: 'separator'; key: string }

export type MenuProps = {
  /** The trigger's content; include the accessible name (visible or sr-only text). */
  trigger: ReactNode
  triggerClassName: string
  entries: MenuEntry[]
  /** Shown after the entries (e.g. "No notifications yet."), not focusable. */
  footer?: ReactNode
  contentClassName?: string
  align?: 'start' | 'end'
  /**
   * With JavaScript, posts a form entry instead of a navigation (a fetcher, say); without
   * JavaScript the entry's form posts as usual.
   */
  submit?: MenuSubmit
}

export type MenuSubmit = (action: string, fields: Record<string, string>) => void

export const ITEM_CLASS =
  'block w-full cursor-pointer rounded px-2 py-1.5 text-left text-sm outline-none hover:bg-slate-100 focus-visible:bg-slate-100 data-[highlighted]:bg-slate-100 dark:hover:bg-slate-800 dark:focus-visible:bg-slate-800 dark:data-[highlighted]:bg-slate-800'

export const CONTENT_CLASS =
  'z-40 w-56 max-w-[calc(100vw-1.5rem)] rounded-md border border-slate-200 bg-white p-1 text-sm text-slate-900 shadow-lg dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100'

const loadRadixMenu = () => import('#app/components/ui/menu-radix.tsx')

/**
 * A menu button. With JavaScript it is a Radix DropdownMenu (arrow keys, typeahead, Escape,
 * focus return), fetched when the pointer or focus first reaches the trigger. Before that, and
 * without JavaScript, the same entries sit in a <details> disclosure of real links and forms,
 * so everything stays reachable.
 */
export function Menu(props: MenuProps) {
  const hydrated = useHydrated()
  const radix = useLazyModule(loadRadixMenu)
  const details = useRef<HTMLDetailsElement>(null)
  const handOver = useRef<{ open: boolean; focused: boolean } | null>(null)
  if (radix.module) {
    // The first render with Radix replaces the disclosure: carry over whether it was open or focused.
    handOver.current ??= {
      open: details.current?.open ?? false,
      focused: Boolean(details.current?.contains(document.activeElement)),
    }
    return (
      <radix.module.RadixMenu
        {...props}
        defaultOpen={handOver.current.open}
        focusTrigger={handOver.current.focused}
      />
    )
  }
  return (
    <details
      ref={details}
      className="relative"
      onPointerEnter={hydrated ? radix.request : undefined}
      onFocus={hydrated ? radix.request : undefined}
    >
      <summary className={`cursor-pointer list-none ${props.triggerClassName}`}>{props.trigger}</summary>
      <div
        className={`absolute top-full mt-1 ${props.align === 'start' ? 'left-0' : 'right-0'} ${CONTENT_CLASS} ${props.contentClassName ?? ''}`}
      >
        {props.entries.map((entry) => (
          <FallbackEntry key={entry.key} entry={entry} submit={hydrated ? props.submit : undefined} />
        ))}
        {props.footer}
      </div>
    </details>
  )
}

type LinkEntry = Extract<MenuEntry, { type: 'link' }>

/** A link entry; Radix's Item wraps it (asChild) and passes its props through. */
export const MenuLink = forwardRef<HTMLAnchorElement, { entry: LinkEntry }>(function MenuLink(
  { entry, ...radixProps },
  ref,
) {
  return (
    <Link
      {...radixProps}
      ref={ref}
      to={entry.to}
      aria-current={entry.current ? 'page' : undefined}
      className={`${ITEM_CLASS} ${entry.className ?? ''}`}
    >
      {entry.label}
    </Link>
  )
})

function FallbackEntry({ entry, submit }: { entry: MenuEntry; submit: MenuSubmit | undefined }) {
  switch (entry.type) {
    case 'link':
      return <MenuLink entry={entry} />
    case 'form':
      return (
        <Form
          method="post"
          action={entry.action}
          onSubmit={
            submit
              ? (event) => {
                  event.preventDefault()
                  submit(entry.action, entry.fields ?? {})
                }
              : undefined
          }
        >
          {Object.entries(entry.fields ?? {}).map(([name, value]) => (
            <input key={name} type="hidden" name={name} value={value} />
          ))}
          <button type="submit" className={`${ITEM_CLASS} ${entry.className ?? ''}`}>
            {entry.label}
          </button>
        </Form>
      )
    case 'text':
      return <div className={`px-2 py-1.5 ${entry.className ?? ''}`}>{entry.label}</div>
    case 'separator':
      return <hr className="my-1 border-slate-200 dark:border-slate-700" />
  }
}
