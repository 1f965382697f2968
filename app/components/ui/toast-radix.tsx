import * as Toast from '@radix-ui/react-toast'
import { X } from './icons.tsx'
import type { ToastItem } from '#app/components/ui/toast.tsx'

/** ToastProvider's JavaScript half (loaded with the first toast). */
export function RadixToasts({ toasts, onDismiss }: { toasts: ToastItem[]; onDismiss: (id: number) => void }) {
  return (
    <Toast.Provider swipeDirection="right">
      {toasts.map((t) => (
        <Toast.Root
          key={t.id}
          duration={t.duration ?? 6000}
          onOpenChange={(open) => {
            if (!open) onDismiss(t.id)
          }}
          className="flex items-start gap-3 rounded-md border border-slate-200 bg-white p-3 text-sm text-slate-900 shadow-lg dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
        >
          <div className="min-w-0 flex-1">
            <Toast.Title className="font-medium">{t.title}</Toast.Title>
            {t.description ? (
              <Toast.Description className="mt-0.5 text-slate-600 dark:text-slate-300">
                {t.description}
              </Toast.Description>
            ) : null}
          </div>
          {t.action ? (
            <Toast.Action
              altText={t.action.altText}
              onClick={t.action.onClick}
              className="rounded-md border border-slate-300 px-2 py-1 font-medium hover:bg-slate-50 dark:border-slate-600 dark:hover:bg-slate-800"
            >
              {t.action.label}
            </Toast.Action>
          ) : null}
          <Toast.Close
            aria-label="Dismiss"
            className="flex size-6 shrink-0 items-center justify-center rounded text-slate-500 hover:text-slate-900 dark:text-slate-400 dark:hover:text-slate-100"
          >
            <X aria-hidden className="size-4" />
          </Toast.Close>
        </Toast.Root>
      ))}
      <Toast.Viewport className="fixed right-0 bottom-0 z-50 flex w-96 max-w-full flex-col gap-2 p-4 outline-none" />
    </Toast.Provider>
  )
}
