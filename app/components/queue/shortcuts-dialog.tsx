import { useEffect, useState } from 'react'
import { useShortcuts } from '#app/utils/use-shortcuts.ts'
import { useLazyModule } from '#app/components/ui/lazy.ts'
import { SHORTCUT_SCOPE_LABEL, SHORTCUTS } from '#app/utils/shortcuts.ts'

const loadDialog = () => import('#app/components/ui/dialog.tsx')

/**
 * The list of keyboard shortcuts in the kit's Dialog (Escape and Close close it; focus returns).
 * Shortcuts need JavaScript, so the dialog does too; it is fetched the first time it opens.
 */
export function ShortcutsDialog({
  open,
  onOpenChange,
}: {
  open: boolean
  onOpenChange: (open: boolean) => void
}) {
  const dialog = useLazyModule(loadDialog)
  const { request } = dialog
  useEffect(() => {
    if (open) request()
  }, [open, request])
  const Dialog = dialog.module?.Dialog
  const DialogClose = dialog.module?.DialogClose
  if (!Dialog || !DialogClose) return null
  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="Keyboard shortcuts"
      description="Shortcuts do nothing while you type in a field or fill in a form."
      className="max-w-md"
    >
      <dl className="mt-4 space-y-2 text-sm">
        {SHORTCUTS.map((s) => (
          <div key={`${s.scope}:${s.key}`} className="flex items-center justify-between gap-4">
            <dt>
              <kbd className="rounded border border-slate-300 bg-slate-50 px-1.5 py-0.5 font-mono text-xs dark:border-slate-600 dark:bg-slate-800">
                {s.label}
              </kbd>
            </dt>
            <dd className="flex-1 text-slate-700 dark:text-slate-300">
              {s.description}
              <span className="ml-2 text-xs text-slate-500 dark:text-slate-400">
                ({SHORTCUT_SCOPE_LABEL[s.scope]})
              </span>
            </dd>
          </div>
        ))}
      </dl>
      <div className="mt-6 text-right">
        <DialogClose className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:hover:bg-slate-800">
          Close
        </DialogClose>
      </div>
    </Dialog>
  )
}

/** `?` on any page of the workspace opens the list (its entries say where each key works). */
export function ShortcutsHelp() {
  const [open, setOpen] = useState(false)
  useShortcuts({ '?': () => setOpen(true) })
  return <ShortcutsDialog open={open} onOpenChange={setOpen} />
}
