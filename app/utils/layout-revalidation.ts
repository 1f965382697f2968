import type { ShouldRevalidateFunctionArgs } from '@remix-run/react'

/**
 * The workspace layout's loader (switcher, navigation counts, notifications) reruns when anything
 * may have changed it: after an action, on a live-update revalidation, when the workspace or the
 * page changes. Not when only the query string of the same page changes (queue filters, sorts and
 * pages, search, "Show N earlier messages"): the page's own loader answers that.
 */
export function layoutShouldRevalidate({
  currentUrl,
  nextUrl,
  currentParams,
  nextParams,
  formMethod,
  defaultShouldRevalidate,
}: ShouldRevalidateFunctionArgs) {
  const sameWorkspace = currentParams.slug === nextParams.slug
  const onlyQueryChanged = currentUrl.pathname === nextUrl.pathname && currentUrl.search !== nextUrl.search
  if (!formMethod && sameWorkspace && onlyQueryChanged) return false
  return defaultShouldRevalidate
}
