import { useLive } from './live-provider.tsx'

/**
 * Said at once when the user is removed from the page's workspace while it is open (the server's
 * `workspace:removed`): the page stays as it is, with whatever was typed on it (nothing reloads
 * it into "Page not found"), and a save from it answers that it was not saved.
 */
export function AccessLostNotice({ workspaceName }: { workspaceName: string }) {
  const { state, left } = useLive()
  if (state !== 'no-access') return null
  return (
    <div
      role="alert"
      className="border-b border-red-300 bg-red-50 px-4 py-3 text-sm text-red-900 sm:px-6 lg:px-8 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
    >
      <p className="font-medium">
        {left ? `You left ${workspaceName}.` : `You no longer have access to ${workspaceName}.`}
      </p>
      <p>
        {left ? 'You left this workspace in another tab.' : 'You were removed from this workspace.'} What you
        typed on this page stays here until you leave it, but it cannot be saved: copy anything you need.{' '}
        <a href="/" className="font-medium underline">
          Go to your workspaces
        </a>
      </p>
    </div>
  )
}
