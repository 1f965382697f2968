import * as RadixTooltip_ from '@radix-ui/react-tooltip'
import { useEffect, useRef, type ReactElement } from 'react'

/** Tooltip's JavaScript half (loaded on demand by Tooltip). */
export function RadixTooltip({
  content,
  refocus,
  children,
}: {
  content: string
  refocus: boolean
  children: ReactElement
}) {
  const trigger = useRef<HTMLButtonElement>(null)
  useEffect(() => {
    if (refocus) trigger.current?.focus()
  }, [refocus])
  return (
    <RadixTooltip_.Provider delayDuration={300}>
      <RadixTooltip_.Root defaultOpen={refocus}>
        <RadixTooltip_.Trigger asChild ref={trigger}>
          {children}
        </RadixTooltip_.Trigger>
        <RadixTooltip_.Portal>
          <RadixTooltip_.Content
            sideOffset={4}
            collisionPadding={8}
            className="z-50 max-w-xs rounded bg-slate-900 px-2 py-1 text-xs text-white shadow dark:bg-slate-100 dark:text-slate-900"
          >
            {content}
          </RadixTooltip_.Content>
        </RadixTooltip_.Portal>
      </RadixTooltip_.Root>
    </RadixTooltip_.Provider>
  )
}
