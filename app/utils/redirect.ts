/** Longer redirect targets are refused: no page of ours needs one, and the sign-in page echoes it. */
export const MAX_REDIRECT_LENGTH = 2_000

/**
 * Accepts only same-origin paths ("/w/acme") of at most MAX_REDIRECT_LENGTH characters, never
 * "//evil.com", "/\\evil.com" or absolute URLs.
 */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = '/') {
  if (typeof to !== 'string' || !to.startsWith('/') || to.startsWith('//') || to.startsWith('/\\')) {
    return fallback
  }
  if (to.length > MAX_REDIRECT_LENGTH) return fallback
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we reject
  if (/[\u0000-\u001f]/.test(to)) return fallback
  try {
    const url = new URL(to, 'http://switchboard.invalid')
    // Dot segments resolve away ("/..//evil.com" becomes "//evil.com"), so check the result too.
    if (url.origin !== 'http://switchboard.invalid' || url.pathname.startsWith('//')) return fallback
    // Normalising percent-encodes what needs it (up to 9 characters for one): bounded again.
    const target = url.pathname + url.search + url.hash
    return target.length <= MAX_REDIRECT_LENGTH ? target : fallback
  } catch {
    return fallback
  }
}
