import { useEffect, useRef } from 'react'
import { LinkedText } from '#app/components/ui/linked-text.tsx'

export type InboundInfo = {
  threadedBy: 'token' | 'header' | 'new' | 'rate-limited' | 'subject'
  hasHtml: boolean
  notFromParticipant: boolean
  /**
   * Mail software sent it on its own (an out-of-office or vacation reply): it reopened nothing and
   * marked nothing unread. Absent for an email a person may have written.
   */
  automatic?: true
  /**
   * Plain-text emails: what the customer wrote, and the history and signature below it (split on
   * the server, splitQuotedText): together the whole text.
   */
  visibleText: string
  quotedText: string
}

const THREADED_BY: Record<InboundInfo['threadedBy'], string> = {
  token: 'its reply address (the ticket’s reply token)',
  header: 'its In-Reply-To / References headers',
  new: 'nothing: it started a new ticket',
  'rate-limited': 'the sender’s hourly limit of new tickets: kept in their rate-limited ticket',
  subject: 'the ticket number in its subject ([#…]), from the customer or a CC’d address',
}

/**
 * A customer's email. HTML (sanitized before storage) is shown in a sandboxed frame without
 * scripts, served by its own route with its own strict CSP: remote images stay blocked until
 * "Load images", the quoted history below what the customer wrote is collapsed until "Show quoted
 * text" (both links inside the frame's document, shown only when they do something, each keeping
 * the other). Plain text has what follows the customer's last own line (quoted history,
 * signature, an Outlook forward) behind a disclosure.
 */
export function InboundEmailBody({
  slug,
  messageId,
  text,
  info,
}: {
  slug: string
  messageId: string
  text: string
  info: InboundInfo
}) {
  const frame = `email-${messageId}`
  const src = `/w/${slug}/messages/${messageId}/email`
  return (
    <div className="mt-2 text-sm">
      {info.automatic ? (
        <p className="mr-2 mb-2 inline-block rounded bg-slate-100 px-1.5 py-0.5 text-xs font-medium text-slate-700 dark:bg-slate-800 dark:text-slate-300">
          Automatic reply: sent by the sender’s mail software (out of office or similar); the ticket’s status
          was left as it was
        </p>
      ) : null}
      {info.notFromParticipant ? (
        <p className="mb-2 inline-block rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-900 dark:bg-amber-950 dark:text-amber-200">
          Not from a participant: the sender is neither the customer nor CC’d
        </p>
      ) : null}
      {info.hasHtml ? (
        <EmailFrame name={frame} src={src} />
      ) : (
        <>
          <div className="whitespace-pre-wrap [overflow-wrap:anywhere]" dir="auto">
            <LinkedText text={info.visibleText || text} />
          </div>
          {info.quotedText ? (
            <details className="mt-2">
              <summary className="cursor-pointer text-xs text-slate-500">Show quoted text</summary>
              <div className="mt-1 whitespace-pre-wrap text-slate-500 [overflow-wrap:anywhere]" dir="auto">
                <LinkedText text={info.quotedText} />
              </div>
            </details>
          ) : null}
        </>
      )}
      <details className="mt-2 text-xs text-slate-500">
        <summary className="cursor-pointer">Email details</summary>
        <p>Threaded here by {THREADED_BY[info.threadedBy]}.</p>
      </details>
    </div>
  )
}

/** The tallest a frame grows to its email (a share of the window); beyond, it scrolls. */
const MAX_FRAME_SHARE = 0.8

/**
 * The email's frame, as tall as its document (up to 80% of the window, then it scrolls itself):
 * the page reads the height of the frame's document (same origin; nothing runs inside it) when
 * it loads, when an image in it loads and when the frame's width changes. Without JavaScript it
 * keeps a fixed 24rem.
 */
function EmailFrame({ name, src }: { name: string; src: string }) {
  const ref = useRef<HTMLIFrameElement>(null)
  useEffect(() => {
    const iframe = ref.current
    if (!iframe) return
    let watched: Document | undefined
    const fit = () => {
      const doc = iframe.contentDocument
      // Before it loads (lazy, or still on its way) the frame holds an empty about:blank.
      if (!doc?.documentElement || doc.URL === 'about:blank') return
      if (watched !== doc) {
        watched = doc
        // Images load after the document: each one can make it taller.
        doc.addEventListener('load', fit, true)
      }
      const root = doc.documentElement
      const scrollbar = root.scrollWidth > root.clientWidth ? 20 : 0
      const content = Math.ceil(root.getBoundingClientRect().height) + scrollbar
      const border = iframe.offsetHeight - iframe.clientHeight
      const height = Math.min(content + border, Math.round(window.innerHeight * MAX_FRAME_SHARE))
      iframe.style.height = `${Math.max(height, 48)}px`
    }
    iframe.addEventListener('load', fit)
    fit()
    let width = iframe.clientWidth
    const resized = new ResizeObserver(() => {
      if (iframe.clientWidth === width) return
      width = iframe.clientWidth
      fit()
    })
    resized.observe(iframe)
    window.addEventListener('resize', fit)
    return () => {
      iframe.removeEventListener('load', fit)
      watched?.removeEventListener('load', fit, true)
      resized.disconnect()
      window.removeEventListener('resize', fit)
    }
  }, [])
  return (
    <iframe
      ref={ref}
      title="Email"
      name={name}
      src={src}
      // No allow-scripts: nothing in the email runs. Same origin only so its inline images (our
      // attachment route) load with the agent's session, and this page can read its height.
      // Links open outside; its own links (Load images, Show quoted text) load in the frame.
      sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"
      referrerPolicy="no-referrer"
      // Each frame is a request of its own (guard, message read, sanitized document, never
      // cached): the page opens at the newest message, so frames far above it wait until the
      // agent scrolls to them instead of costing up to 20 requests per page view.
      loading="lazy"
      className="h-96 max-h-[80vh] w-full resize-y rounded border border-slate-200 bg-white dark:border-slate-700"
    />
  )
}
