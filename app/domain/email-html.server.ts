import sanitizeHtml from 'sanitize-html'
import { withoutPrivateLinks } from '../utils/private-links.ts'

/**
 * The allow-list for customer email HTML, applied once before storage. What survives is text
 * formatting, tables, links and images: no scripts, event handlers, forms, frames, <style>,
 * <base>, <meta>, SVG or MathML, and only a short list of CSS properties with plain values (no
 * url(), expression() or var()). Links are http(s)/mailto/tel only; images http(s) or cid:
 * (inline parts, rewritten to our attachment route when shown). sanitize-html ≥ 2.18.1.
 */
const ALLOWED_TAGS = [
  'a',
  'abbr',
  'address',
  'b',
  'bdi',
  'big',
  'blockquote',
  'br',
  'caption',
  'center',
  'cite',
  'code',
  'col',
  'colgroup',
  'dd',
  'del',
  'details',
  'dfn',
  'div',
  'dl',
  'dt',
  'em',
  'figcaption',
  'figure',
  'font',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'i',
  'img',
  'ins',
  'kbd',
  'li',
  'mark',
  'ol',
  'p',
  'pre',
  'q',
  's',
  'samp',
  'small',
  'span',
  'strike',
  'strong',
  'sub',
  'summary',
  'sup',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'tr',
  'tt',
  'u',
  'ul',
  'wbr',
]

const SAFE_VALUE =
  /^(?!.*(?:url|expression|var|image-set|element|attr)\s*\()(?!.*[\\<>@;{}])[#\w\s.,%'"+-/()!]*$/i
const COLOR = /^(?!.*(?:url|expression|var)\s*\()[#\w\s.,%()-]*$/i
const LENGTH = /^[\w\s.%-]*$/i

const ALLOWED_STYLES: sanitizeHtml.IOptions['allowedStyles'] = {
  '*': {
    color: [COLOR],
    'background-color': [COLOR],
    'font-family': [SAFE_VALUE],
    'font-size': [LENGTH],
    'font-weight': [LENGTH],
    'font-style': [LENGTH],
    'text-align': [/^(left|right|center|justify|start|end)$/i],
    'text-decoration': [LENGTH],
    'line-height': [LENGTH],
    'vertical-align': [LENGTH],
    'white-space': [LENGTH],
    margin: [LENGTH],
    'margin-left': [LENGTH],
    'margin-right': [LENGTH],
    'margin-top': [LENGTH],
    'margin-bottom': [LENGTH],
    padding: [LENGTH],
    'padding-left': [LENGTH],
    'padding-right': [LENGTH],
    'padding-top': [LENGTH],
    'padding-bottom': [LENGTH],
    border: [COLOR],
    'border-collapse': [LENGTH],
    width: [LENGTH],
    'max-width': [LENGTH],
    height: [LENGTH],
  },
}

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: ALLOWED_TAGS,
  // Everything not listed goes, with its text kept; these go with their content.
  nonTextTags: [
    'script',
    'style',
    'textarea',
    'option',
    'noscript',
    'title',
    'head',
    'xmp',
    'iframe',
    'noembed',
    'noframes',
    'plaintext',
    'template',
    'svg',
    'math',
    'object',
    'select',
  ],
  disallowedTagsMode: 'discard',
  allowedAttributes: {
    '*': ['style', 'title', 'dir', 'lang', 'align', 'valign', 'class', 'id'],
    a: ['href', 'name'],
    img: ['src', 'alt', 'width', 'height'],
    td: ['colspan', 'rowspan', 'width', 'height', 'bgcolor'],
    th: ['colspan', 'rowspan', 'width', 'height', 'bgcolor'],
    table: ['width', 'cellpadding', 'cellspacing', 'border', 'bgcolor'],
    font: ['color', 'size', 'face'],
    blockquote: ['type', 'cite'],
    ol: ['start', 'type'],
    col: ['span', 'width'],
  },
  allowedClasses: {
    // Only the quote containers we collapse keep a class: no page CSS can be targeted otherwise.
    '*': ['gmail_quote', 'gmail_signature', 'moz-cite-prefix', 'yahoo_quoted', 'protonmail_quote'],
  },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['http', 'https', 'cid'] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  allowProtocolRelative: false,
  allowedStyles: ALLOWED_STYLES,
  parseStyleAttributes: true,
  transformTags: {
    // Links open outside the frame and send no referrer (the frame's URL names our message).
    a: (tagName, attribs) => ({
      tagName,
      attribs: {
        ...withoutPrivateLinkAttributes(attribs),
        target: '_blank',
        rel: 'noopener noreferrer nofollow',
      },
    }),
    '*': (tagName, attribs) => ({ tagName, attribs: withoutPrivateLinkAttributes(attribs) }),
  },
  // Our own private links (the customer's page, quoted from our email) go from the text too.
  textFilter: (text) => withoutPrivateLinks(text),
  exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
}
OPTIONS.allowedAttributes = { ...OPTIONS.allowedAttributes, a: ['href', 'name', 'target', 'rel'] }

/** Attributes that pointed at a private link: a link or image loses it, any other says it was removed. */
function withoutPrivateLinkAttributes(attribs: sanitizeHtml.Attributes) {
  let out = attribs
  for (const [name, value] of Object.entries(attribs)) {
    const redacted = withoutPrivateLinks(value)
    if (redacted === value) continue
    out = { ...out }
    if (name === 'href' || name === 'src' || name === 'cite') delete out[name]
    else out[name] = redacted
  }
  return out
}

/**
 * Customer email HTML, made safe to store and show (see the allow-list above), without our own
 * private links (withoutPrivateLinks: a reply quotes our email and its "View this conversation"
 * link, and a link kept here reaches whoever the message is shown or sent to).
 */
export function sanitizeEmailHtml(html: string) {
  // And again over the whole result: the parser hands the text filter a text in pieces, split at
  // each character reference (`sup&shy;port`). A run of URL characters never holds a quote, an
  // angle bracket or a space, so what this replaces stays inside its attribute or text.
  return withoutPrivateLinks(sanitizeHtml(html, OPTIONS))
}

/** Quote containers of the common mail clients: collapsed behind "show quoted text". */
export const QUOTE_SELECTORS = [
  '.gmail_quote',
  'blockquote[type=cite]',
  '#divRplyFwdMsg',
  '#divRplyFwdMsg ~ *',
  '.moz-cite-prefix',
  '.yahoo_quoted',
  '.protonmail_quote',
  '#appendonsend ~ *',
  '.gmail_signature',
]
