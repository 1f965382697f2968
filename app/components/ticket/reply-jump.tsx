import { focusToWrite } from '#app/utils/focus.ts'

/**
 * On phones, a floating "Reply" button: one tap from anywhere in a long thread to the composer.
 * A plain link to #composer without JavaScript; with it, the text field is also focused.
 *
 * Sticky, not fixed, and placed just above the composer: it floats at the bottom of the screen
 * only while the thread is in view, and otherwise rests in its own row, so it never covers the
 * composer or the ticket fields below it (at 390 px a fixed button hid the Assignee select).
 */
export function ReplyJump() {
  return (
    <a
      href="#composer"
      onClick={(event) => {
        const textarea = document.querySelector<HTMLTextAreaElement>('#composer textarea')
        if (!textarea) return
        event.preventDefault()
        textarea.scrollIntoView({ block: 'center' })
        focusToWrite(textarea, { preventScroll: true })
      }}
      className="sticky bottom-4 z-20 ml-auto block w-fit rounded-full bg-indigo-600 px-5 py-3 text-sm font-semibold text-white shadow-lg hover:bg-indigo-500 lg:hidden"
    >
      Reply
    </a>
  )
}
