import { forwardRef } from 'react'
import { SHORTCUT_SCOPE_LABEL, SHORTCUTS } from '#app/utils/shortcuts.ts'

/** The list of keyboard shortcuts in a native modal dialog (Escape and the button close it). */
export const ShortcutsDialog = forwardRef<HTMLDialogElement>(function ShortcutsDialog(_, ref) {
  return (
    <dialog
      ref={ref}
      aria-labelledby="shortcuts-title"
      className="m-auto w-full max-w-md rounded-lg border border-slate-200 bg-white p-6 text-slate-900 shadow-xl backdrop:bg-slate-900/40 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
    >
      <h2 id="shortcuts-title" className="text-lg font-semibold">
        Keyboard shortcuts
      </h2>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
        Shortcuts do nothing while you type in a field.
      </p>
      <dl className="mt-4 space-y-2 text-sm">
        {SHORTCUTS.map((s) => (
          <div key={s.key} className="flex items-center justify-between gap-4">
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
      <form method="dialog" className="mt-6 text-right">
        <button
          type="submit"
          className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium hover:bg-slate-50 dark:border-slate-700 dark:bg-slate-900 dark:hover:bg-slate-800"
        >
          Close
        </button>
      </form>
    </dialog>
  )
})
