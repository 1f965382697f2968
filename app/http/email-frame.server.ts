import type { RequestHandler } from 'express'

/** The thread's frame of a customer's email: /w/<slug>/messages/<id>/email. */
const EMAIL_FRAME = /^\/w\/[^/]+\/messages\/[^/]+\/email$/

/**
 * Replaces the page CSP for an email's frame: nothing runs (script-src 'none', plus the iframe's
 * sandbox), no forms, no plugins, images only from our origin (inline parts) until the agent
 * asks for remote ones (?images=1), styles only inline (the document's own and the allow-listed
 * style attributes), and only our own pages may frame it.
 */
export function emailFrameHeaders(): RequestHandler {
  return (req, res, next) => {
    if (!EMAIL_FRAME.test(req.path)) return next()
    const images = req.query.images === '1' ? "'self' https: http:" : "'self'"
    res.setHeader(
      'Content-Security-Policy',
      `default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src ${images}; font-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox`,
    )
    res.setHeader('X-Frame-Options', 'SAMEORIGIN')
    next()
  }
}
