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
  actionResult,
  defaultShouldRevalidate,
}: ShouldRevalidateFunctionArgs) {
  if (actionNeverArrived(actionResult)) return false
  const sameWorkspace = currentParams.slug === nextParams.slug
  const onlyQueryChanged = currentUrl.pathname === nextUrl.pathname && currentUrl.search !== nextUrl.search
  if (!formMethod && sameWorkspace && onlyQueryChanged) return false
  return defaultShouldRevalidate
}

/**
 * A post that never reached the server (the composer's clientAction caught a network error:
 * `sendFailed`) changed nothing, so nothing is loaded again: offline, that reload failed too and
 * replaced the page, with the agent's text, by the error page.
 */
export function actionNeverArrived(actionResult: unknown) {
  return typeof actionResult === 'object' && actionResult !== null && 'sendFailed' in actionResult
}

/** For routes with no other rule: the default, except after a post that never arrived. */
export function unlessActionNeverArrived({
  actionResult,
  defaultShouldRevalidate,
}: ShouldRevalidateFunctionArgs) {
  if (actionNeverArrived(actionResult)) return false
  // A save refused because a teammate saved first (409, `reloadStored`): load what is stored now,
  // which single fetch would not do after a 4xx, so the form shows the teammate's value.
  if (typeof actionResult === 'object' && actionResult !== null && 'reloadStored' in actionResult) return true
  return defaultShouldRevalidate
}
