import { cloneElement, useRef, type ReactElement, type SyntheticEvent } from 'react'
import { useLazyModule } from '#app/components/ui/lazy.ts'
import { useHydrated } from '#app/utils/use-hydrated.ts'

type TriggerProps = {
  title?: string
  onPointerEnter?: (event: SyntheticEvent) => void
  onFocus?: (event: SyntheticEvent) => void
  onBlur?: (event: SyntheticEvent) => void
}

const loadRadixTooltip = () => import('#app/components/ui/tooltip-radix.tsx')

/**
 * A tooltip for one element (an icon button, a relative time). Until the Radix Tooltip arrives
 * (fetched when the pointer or focus first reaches the element), and without JavaScript, the text
 * is the element's `title`. A tooltip only repeats or explains: never put the only accessible name
 * in it.
 */
export function Tooltip({ content, children }: { content: string; children: ReactElement<TriggerProps> }) {
  const hydrated = useHydrated()
  const radix = useLazyModule(loadRadixTooltip)
  // Radix replaces the element: a keyboard user who focused it keeps the focus (and sees the tip).
  const focused = useRef(false)
  if (radix.module) {
    return (
      <radix.module.RadixTooltip content={content} refocus={focused.current}>
        {children}
      </radix.module.RadixTooltip>
    )
  }
  const own = children.props
  return cloneElement(children, {
    title: content,
    onPointerEnter: (event: SyntheticEvent) => {
      own.onPointerEnter?.(event)
      if (hydrated) radix.request()
    },
    onFocus: (event: SyntheticEvent) => {
      own.onFocus?.(event)
      focused.current = true
      if (hydrated) radix.request()
    },
    onBlur: (event: SyntheticEvent) => {
      own.onBlur?.(event)
      focused.current = false
    },
  })
}
