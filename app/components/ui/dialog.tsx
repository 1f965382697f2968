import * as RadixDialog from '@radix-ui/react-dialog'
import { useRef, type ReactNode } from 'react'
import { focusIsLost, focusMainContent } from '#app/utils/focus.ts'
import { X } from './icons.tsx'
import './style-nonce.ts'

/**
 * A modal dialog on Radix: focus trapped and returned to the opener, Escape and the overlay close
 * it, the rest of the page inert for assistive technology. JavaScript-only: whatever opens it
 * needs a no-JavaScript path (ConfirmButton's confirmation page, a link to a page). Import it
 * lazily (useLazyModule) from components every page loads, so it is not first-load JavaScript.
 */
export function Dialog({
  open,
  onOpenChange,
  title,
  description,
  children,
  className = 'max-w-md',
  closeButton = false,
  placement = 'center',
}: {
  open: boolean
  onOpenChange: (open: boolean) => void
  title: ReactNode
  description?: ReactNode
  children: ReactNode
  className?: string
  /**
   * A visible Close button in the corner, for a dialog without one of its own: on a touch screen
   * there is no Escape key, and tapping the overlay beside a dialog as wide as the phone is not
   * something people find.
   */
  closeButton?: boolean
  /**
   * `top`: its top edge stays put and it grows downwards, for a dialog whose content changes while
   * it is used (the command palette's results). Centred, each answer that changed the list's
   * length moved every row by half the change, under a click already on its way (16 px for one
   * row fewer: the likely cause of a CI failure of inbox-links.spec's "Open ticket #99").
   */
  placement?: 'center' | 'top'
}) {
  // What had focus when it opened (the button, or the field a shortcut was pressed in), to give
  // it back; still in the page, else the page's main region (opened by a shortcut with nothing
  // focused, or its opener gone): Radix gave it to <body> then.
  const opener = useRef<Element | null>(null)
  const wasOpen = useRef(false)
  // Read as it opens, in the render: a field of the dialog with autoFocus takes focus in the
  // commit, before any of Radix's open events.
  if (open && !wasOpen.current && typeof document !== 'undefined') {
    opener.current = focusIsLost() ? null : document.activeElement
  }
  wasOpen.current = open
  return (
    <RadixDialog.Root open={open} onOpenChange={onOpenChange}>
      <RadixDialog.Portal>
        <RadixDialog.Overlay className="fixed inset-0 z-50 bg-slate-950/50" />
        <RadixDialog.Content
          // Without a description, say so explicitly (Radix warns otherwise).
          {...(description ? {} : { 'aria-describedby': undefined })}
          onCloseAutoFocus={(event) => {
            event.preventDefault()
            const back = opener.current
            if (back instanceof HTMLElement && back.isConnected) back.focus({ preventScroll: true })
            else focusMainContent()
          }}
          // At most the viewport's height, scrolling inside: taller than a small window (a laptop
          // at 200% zoom, a phone with its keyboard up) its title and buttons were off screen and
          // out of reach, since the page behind does not scroll (WCAG 1.4.10).
          className={`fixed ${placement === 'top' ? 'top-4 max-h-[calc(100dvh-2rem)] sm:top-[10dvh] sm:max-h-[80dvh]' : 'top-1/2 max-h-[calc(100dvh-2rem)] -translate-y-1/2'} left-1/2 z-50 w-[calc(100vw-2rem)] -translate-x-1/2 overflow-y-auto rounded-lg border border-slate-200 bg-white p-5 text-left text-slate-900 shadow-xl focus:outline-none dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100 ${className}`}
        >
          {closeButton ? (
            <RadixDialog.Close
              aria-label="Close"
              className="float-right -mt-1 -mr-1 ml-2 flex size-9 items-center justify-center rounded-md text-slate-500 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-400 dark:hover:bg-slate-800 dark:hover:text-slate-100"
            >
              <X aria-hidden className="size-5" />
            </RadixDialog.Close>
          ) : null}
          <RadixDialog.Title className="text-lg font-semibold">{title}</RadixDialog.Title>
          {description ? (
            <RadixDialog.Description className="mt-2 text-sm text-slate-600 dark:text-slate-300">
              {description}
            </RadixDialog.Description>
          ) : null}
          {children}
        </RadixDialog.Content>
      </RadixDialog.Portal>
    </RadixDialog.Root>
  )
}

/** A button that closes the surrounding Dialog. */
export const DialogClose = RadixDialog.Close
