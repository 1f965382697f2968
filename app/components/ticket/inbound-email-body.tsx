export type InboundInfo = {
  threadedBy: 'token' | 'header' | 'new' | 'rate-limited' | 'subject'
  hasHtml: boolean
  notFromParticipant: boolean
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
 * "Load images", quoted history is collapsed until "Show quoted text" (both plain links into the
 * frame). Plain text has what follows the customer's last own line (quoted history, signature,
 * an Outlook forward) behind a disclosure.
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
      {info.notFromParticipant ? (
        <p className="mb-2 inline-block rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-900 dark:bg-amber-950 dark:text-amber-200">
          Not from a participant: the sender is neither the customer nor CC’d
        </p>
      ) : null}
      {info.hasHtml ? (
        <>
          <iframe
            title="Email"
            name={frame}
            src={src}
            // No allow-scripts: nothing in the email runs. Same origin only so its inline images
            // (our attachment route) load with the agent's session; links open outside.
            sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"
            referrerPolicy="no-referrer"
            // Each frame is a request of its own (guard, message read, sanitized document, never
            // cached): the page opens at the newest message, so frames far above it wait until
            // the agent scrolls to them instead of costing up to 20 requests per page view.
            loading="lazy"
            className="h-96 w-full resize-y rounded border border-slate-200 bg-white dark:border-slate-700"
          />
          <p className="mt-1 flex gap-3 text-xs">
            <a
              href={`${src}?images=1`}
              target={frame}
              className="text-indigo-700 underline dark:text-indigo-300"
            >
              Load images
            </a>
            <a
              href={`${src}?quoted=1`}
              target={frame}
              className="text-indigo-700 underline dark:text-indigo-300"
            >
              Show quoted text
            </a>
          </p>
        </>
      ) : (
        <>
          <div className="whitespace-pre-wrap [overflow-wrap:anywhere]">{info.visibleText || text}</div>
          {info.quotedText ? (
            <details className="mt-2">
              <summary className="cursor-pointer text-xs text-slate-500">Show quoted text</summary>
              <div className="mt-1 whitespace-pre-wrap text-slate-500 [overflow-wrap:anywhere]">
                {info.quotedText}
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
