import { useMatches, useNavigate, useRevalidator } from '@remix-run/react'
import { useEffect, useRef, useState } from 'react'
import { focusMainContent } from '#app/utils/focus.ts'
import { hasRole, ROLE_LABEL, roleNeededBy, type Role } from '#app/utils/roles.ts'
import { whenOnline } from '#app/utils/when-online.ts'
import { useLive } from './live-provider.tsx'

/**
 * Follows a change of the user's role in the page's workspace, told live (`workspace:role`), and
 * says so until dismissed. A page the new role may not open (its route's `handle.role`) is left
 * for the inbox: before, it stayed as it was, and its next reload was the error page. Any other
 * page reloads its data, so what it offers follows the role (Settings' AI, API tokens and
 * Webhooks tabs, the members page's controls, the command palette's pages).
 */
export function RoleChangeNotice({ slug, workspaceName }: { slug: string; workspaceName: string }) {
  const { roleChange } = useLive()
  const matches = useMatches()
  const navigate = useNavigate()
  const revalidator = useRevalidator()
  const [notice, setNotice] = useState<{ role: Role; left: boolean } | null>(null)
  // What the page is when the change arrives, without making each render a new change.
  const page = useRef({ matches, navigate, revalidate: revalidator.revalidate })
  page.current = { matches, navigate, revalidate: revalidator.revalidate }
  useEffect(() => {
    if (!roleChange) return
    const { matches, navigate, revalidate } = page.current
    const needed = roleNeededBy(matches.map((match) => match.handle))
    const left = needed !== null && !hasRole(roleChange.role, needed)
    setNotice({ role: roleChange.role, left })
    return whenOnline(() => (left ? navigate(`/w/${slug}/tickets`) : void revalidate()))
  }, [roleChange, slug])
  if (!notice) return null
  return (
    <div
      role="status"
      className="flex flex-wrap items-center justify-between gap-2 border-b border-indigo-200 bg-indigo-50 px-4 py-3 text-sm text-indigo-950 sm:px-6 lg:px-8 dark:border-indigo-800 dark:bg-indigo-950 dark:text-indigo-100"
    >
      <p>
        <span className="font-medium">
          Your role in {workspaceName} is now {ROLE_LABEL[notice.role]}.
        </span>
        {notice.left ? ' The page you had open is for admins, so you are back in the inbox.' : null}
      </p>
      <button
        type="button"
        className="font-medium underline"
        onClick={() => {
          setNotice(null)
          focusMainContent()
        }}
      >
        Dismiss
      </button>
    </div>
  )
}
