import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react'
import { useLazyModule } from '#app/components/ui/lazy.ts'

export type ToastInput = {
  title: string
  description?: string
  /** One action, e.g. Undo. `altText` tells screen-reader users how to do it without the toast. */
  action?: { label: string; altText: string; onClick: () => void }
  /** Milliseconds before it closes itself (default 6000). */
  duration?: number
}

export type ToastItem = ToastInput & { id: number }

type ToastApi = { show: (toast: ToastInput) => void }

const ToastContext = createContext<ToastApi>({ show: () => {} })

const loadRadixToasts = () => import('#app/components/ui/toast-radix.tsx')

let nextId = 1

/**
 * Toasts for the signed-in app: `useToast().show({ title, action })` after something happened
 * (a bulk change, with Undo). JavaScript-only by nature: anything a toast says must also be on the
 * page a no-JavaScript post lands on (the flash message). The Radix Toast viewport (announced,
 * F8 to reach, swipe or Escape to close) is fetched with the first toast.
 */
export function ToastProvider({ children }: { children: ReactNode }) {
  const radix = useLazyModule(loadRadixToasts)
  const [toasts, setToasts] = useState<ToastItem[]>([])
  const { load } = radix
  const request = radix.request
  const show = useCallback(
    (toast: ToastInput) => {
      request()
      void load().then(() => setToasts((list) => [...list, { ...toast, id: nextId++ }]))
    },
    [load, request],
  )
  const api = useMemo(() => ({ show }), [show])
  const dismiss = useCallback((id: number) => setToasts((list) => list.filter((t) => t.id !== id)), [])
  return (
    <ToastContext.Provider value={api}>
      {children}
      {radix.module ? <radix.module.RadixToasts toasts={toasts} onDismiss={dismiss} /> : null}
    </ToastContext.Provider>
  )
}

export function useToast() {
  return useContext(ToastContext)
}
