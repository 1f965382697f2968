import { setNonce } from 'get-nonce'

/**
 * The page's CSP nonce for the one <style> element Radix's scroll lock adds (react-remove-scroll,
 * through react-style-singleton, which reads it from get-nonce): the policy's style-src takes only
 * the nonce (app/http/security.server.ts), and refused it without, so the page scrolled behind an
 * open dialog or menu. Browsers hide a nonce attribute's value; a script's `nonce` property keeps
 * it. Imported by the lazily loaded Dialog (app/components/ui/dialog.tsx; the menus are not modal
 * and lock nothing), so it costs the first load nothing.
 */
if (typeof document !== 'undefined') {
  const nonce = document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce
  if (nonce) setNonce(nonce)
}
