export type Wiring = {
  configured: boolean
  /** The URL with the secret's place marked (the secret itself is never sent to a browser). */
  parseUrl: string | null
  signed: boolean
}
export type MailboxWiringStatus = {
  lastReceivedAt: string | null
  lastFailureAt: string | null
  lastFailure: string | null
}

/** Per mailbox: where SendGrid Inbound Parse must post, and whether mail is flowing. */
export function MailboxWiring({
  wiring,
  status,
}: {
  wiring: Wiring
  status: MailboxWiringStatus | undefined
}) {
  return (
    <div className="mt-3 rounded-md bg-slate-50 p-3 text-sm dark:bg-slate-900">
      <h4 className="font-medium">Email in (SendGrid Inbound Parse)</h4>
      {wiring.configured ? (
        <>
          <code className="mt-1 block break-all rounded border border-slate-300 bg-white px-2 py-1 font-mono text-xs dark:border-slate-700 dark:bg-slate-950">
            {wiring.parseUrl}
          </code>
          <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
            The URL ends in this server’s SENDGRID_INBOUND_SECRET, which is never shown here: whoever runs the
            server set it and points Inbound Parse at this URL.
          </p>
        </>
      ) : (
        <p className="mt-1 text-xs text-amber-800 dark:text-amber-300">
          Inbound email is off: set SENDGRID_INBOUND_SECRET, then point Inbound Parse at the URL shown here.
        </p>
      )}
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
        <dt className="text-slate-500 dark:text-slate-400">Last email received</dt>
        <dd>{status?.lastReceivedAt ? new Date(status.lastReceivedAt).toUTCString() : 'None yet'}</dd>
        <dt className="text-slate-500 dark:text-slate-400">Last failure</dt>
        <dd>
          {status?.lastFailureAt
            ? `${new Date(status.lastFailureAt).toUTCString()}: ${status.lastFailure ?? 'could not be read'}`
            : 'None'}
        </dd>
        <dt className="text-slate-500 dark:text-slate-400">Signed posts</dt>
        <dd>{wiring.signed ? 'Verified (SENDGRID_WEBHOOK_PUBLIC_KEY)' : 'Not checked'}</dd>
      </dl>
    </div>
  )
}
