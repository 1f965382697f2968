/** Accepts only same-origin paths ("/w/acme"), never "//evil.com", "/\\evil.com" or absolute URLs. */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = '/') {
  if (typeof to !== 'string' || !to.startsWith('/') || to.startsWith('//') || to.startsWith('/\\')) {
    return fallback
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we reject
  if (/[\u0000-\u001f]/.test(to)) return fallback
  try {
    const url = new URL(to, 'http://switchboard.invalid')
    // Dot segments resolve away ("/..//evil.com" becomes "//evil.com"), so check the result too.
    if (url.origin !== 'http://switchboard.invalid' || url.pathname.startsWith('//')) return fallback
    return url.pathname + url.search + url.hash
  } catch {
    return fallback
  }
}
