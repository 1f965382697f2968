/**
 * On phones, a floating "Reply" button: one tap from anywhere in a long thread to the composer.
 * A plain link to #composer without JavaScript; with it, the text field is also focused.
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
        textarea.focus({ preventScroll: true })
      }}
      className="fixed right-4 bottom-4 z-20 rounded-full bg-indigo-600 px-5 py-3 text-sm font-semibold text-white shadow-lg hover:bg-indigo-500 lg:hidden"
    >
      Reply
    </a>
  )
}
