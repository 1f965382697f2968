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

const ALLOWED_TAG_SET = new Set(ALLOWED_TAGS)

/** The class of the <div> an email's <body> becomes: the frame's document takes its colours. */
export const EMAIL_BODY_CLASS = 'sb-email-body'

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
    // Only to hide: what the email hid (a newsletter's preheader) stays hidden (readableColours).
    display: [/^none$/i],
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
    '*': [
      'gmail_quote',
      'gmail_signature',
      'moz-cite-prefix',
      'yahoo_quoted',
      'protonmail_quote',
      EMAIL_BODY_CLASS,
    ],
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
    // The email's <body> is kept as a <div> only for its colours, which the frame's document
    // takes (inboundEmailDocument): a dark email's background was dropped with its body before.
    body: (_tagName, attribs) => ({
      tagName: 'div',
      attribs: {
        class: EMAIL_BODY_CLASS,
        ...(attribs.style ? { style: attribs.style } : {}),
        ...(attribs.bgcolor ? { bgcolor: attribs.bgcolor } : {}),
        ...(attribs.text ? { text: attribs.text } : {}),
      },
    }),
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
 * link, and a link kept here reaches whoever the message is shown or sent to), and readable
 * (readableColours).
 */
export function sanitizeEmailHtml(html: string) {
  const colours = readableColours()
  const options: sanitizeHtml.IOptions = {
    ...OPTIONS,
    onOpenTag: colours.open,
    onCloseTag: colours.close,
    transformTags: {
      ...OPTIONS.transformTags,
      '*': (tagName, attribs) => colours.transform(tagName, withoutPrivateLinkAttributes(attribs)),
    },
  }
  // And again over the whole result: the parser hands the text filter a text in pieces, split at
  // each character reference (`sup&shy;port`). A run of URL characters never holds a quote, an
  // angle bracket or a space, so what this replaces stays inside its attribute or text.
  return withoutPrivateLinks(sanitizeHtml(html, options))
}

type Rgb = readonly [number, number, number]
/** What the frame's document starts with (inboundEmailDocument's style). */
const PAGE_BACKGROUND: Rgb = [255, 255, 255]
const PAGE_TEXT: Rgb = [15, 23, 42]
const DARK_TEXT = '#0f172a'
const LIGHT_TEXT = '#ffffff'
/** Below this WCAG contrast ratio text is as good as invisible (white on white is 1). */
const UNREADABLE_CONTRAST = 2

const NAMED_COLOURS: Record<string, Rgb> = {
  black: [0, 0, 0],
  white: [255, 255, 255],
  gray: [128, 128, 128],
  grey: [128, 128, 128],
  silver: [192, 192, 192],
  lightgray: [211, 211, 211],
  lightgrey: [211, 211, 211],
  gainsboro: [220, 220, 220],
  whitesmoke: [245, 245, 245],
  snow: [255, 250, 250],
  ivory: [255, 255, 240],
  darkgray: [169, 169, 169],
  darkgrey: [169, 169, 169],
  dimgray: [105, 105, 105],
  dimgrey: [105, 105, 105],
  red: [255, 0, 0],
  maroon: [128, 0, 0],
  yellow: [255, 255, 0],
  olive: [128, 128, 0],
  lime: [0, 255, 0],
  green: [0, 128, 0],
  aqua: [0, 255, 255],
  cyan: [0, 255, 255],
  teal: [0, 128, 128],
  blue: [0, 0, 255],
  navy: [0, 0, 128],
  fuchsia: [255, 0, 255],
  magenta: [255, 0, 255],
  purple: [128, 0, 128],
  orange: [255, 165, 0],
}
const COLOUR_TOKEN = new RegExp(
  `#[0-9a-f]{3,8}\\b|rgba?\\([^)]*\\)|\\b(?:transparent|${Object.keys(NAMED_COLOURS).join('|')})\\b`,
  'i',
)

/** A CSS or HTML colour as RGB; 'transparent'; undefined when it is none we know. */
export function parseColour(value: string): Rgb | 'transparent' | undefined {
  const v = value
    .trim()
    .toLowerCase()
    .replace(/\s*!important$/, '')
  if (v === 'transparent') return 'transparent'
  if (NAMED_COLOURS[v]) return NAMED_COLOURS[v]
  const hex = /^#?([0-9a-f]{3,8})$/.exec(v)?.[1]
  if (hex && hex.length !== 5 && hex.length !== 7) {
    const long = hex.length <= 4 ? [...hex].map((c) => c + c).join('') : hex
    if (long.length === 8 && long.slice(6) === '00') return 'transparent'
    return [0, 2, 4].map((i) => parseInt(long.slice(i, i + 2), 16)) as unknown as Rgb
  }
  const rgb = /^rgba?\(\s*([\d.]+%?)[\s,]+([\d.]+%?)[\s,]+([\d.]+%?)(?:\s*[,/]\s*([\d.]+%?))?\s*\)$/.exec(v)
  if (rgb) {
    if (rgb[4] !== undefined && parseFloat(rgb[4]) === 0) return 'transparent'
    const channel = (c: string) =>
      Math.min(255, Math.round(c.endsWith('%') ? (parseFloat(c) * 255) / 100 : parseFloat(c)))
    return [channel(rgb[1]!), channel(rgb[2]!), channel(rgb[3]!)]
  }
  return undefined
}

function luminance([r, g, b]: Rgb) {
  const lin = (c: number) => {
    const s = c / 255
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

export function contrastRatio(a: Rgb, b: Rgb) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi! + 0.05) / (lo! + 0.05)
}

/** The declarations of a style attribute, in order (values never hold `;`: SAFE_VALUE). */
function declarations(style: string | undefined) {
  const out: Array<[string, string]> = []
  for (const part of (style ?? '').split(';')) {
    const colon = part.indexOf(':')
    if (colon > 0) out.push([part.slice(0, colon).trim().toLowerCase(), part.slice(colon + 1).trim()])
  }
  return out
}

/** The colour a `background` shorthand paints (its images and gradients aside), if any. */
function backgroundShorthandColour(value: string) {
  if (/gradient\s*\(/i.test(value)) return undefined
  return COLOUR_TOKEN.exec(value.replace(/url\s*\([^)]*\)?/gi, ''))?.[0]
}

/** Styles (and their sizes) that mean the element is not shown: a newsletter's preheader. */
function hiddenByStyle(decls: Array<[string, string]>) {
  return decls.some(
    ([name, value]) =>
      (name === 'display' && /^none\b/i.test(value)) ||
      (name === 'visibility' && /^hidden\b/i.test(value)) ||
      (name === 'mso-hide' && /^all\b/i.test(value)) ||
      ((name === 'opacity' || name === 'max-height' || name === 'font-size') &&
        /^0(?:\.0*)?(?:px|pt|em|rem|%)?\s*(?:!important)?$/i.test(value)),
  )
}

type ColourFrame = { background: Rgb | undefined; text: Rgb | undefined; hidden: boolean }

/**
 * What keeps an email readable in our white frame, as the sanitizer walks it: a background
 * colour is kept (background-color, a `background` shorthand's colour without its image, a
 * bgcolor on any element, the <body>'s; never url()), and where the text's colour and the
 * background under it are as good as the same (contrast below 2: white text whose dark
 * background was an image, or set in a <style> we drop), the text gets a readable colour. What
 * the email hid (display:none, visibility:hidden, max-height/font-size/opacity 0, mso-hide) is
 * kept as display:none: its words stay in the message's text for search, not on the page.
 * An unknown colour (a name not listed) leaves the elements inside it as they are.
 */
function readableColours() {
  const stack: ColourFrame[] = [{ background: PAGE_BACKGROUND, text: PAGE_TEXT, hidden: false }]
  const top = () => stack[stack.length - 1]!
  let pending:
    | { name: string; own: boolean; changed: boolean; frame: ColourFrame; decls: Array<[string, string]> }
    | undefined

  const open = (name: string, attribs: sanitizeHtml.Attributes) => {
    const parent = top()
    const decls = declarations(attribs.style)
    const own = ALLOWED_TAG_SET.has(name) || name === 'body'
    const frame: ColourFrame = { ...parent }
    let changed = false
    if (own) {
      let background = attribs.bgcolor
      let text = name === 'font' ? attribs.color : name === 'body' ? attribs.text : undefined
      for (const [prop, value] of decls) {
        if (prop === 'background-color' && COLOR.test(value)) background = value
        else if (prop === 'background') background = backgroundShorthandColour(value) ?? background
        else if (prop === 'color' && COLOR.test(value)) text = value
      }
      if (background !== undefined) {
        const parsed = parseColour(background)
        if (parsed !== 'transparent') frame.background = parsed
      }
      if (text !== undefined) {
        const parsed = parseColour(text)
        frame.text = parsed === 'transparent' ? frame.background : parsed
      }
      frame.hidden = hiddenByStyle(decls)
      changed = background !== undefined || text !== undefined
    }
    stack.push(frame)
    pending = { name, own, changed, frame, decls }
  }

  const close = () => {
    if (stack.length > 1) stack.pop()
  }

  const transform = (tagName: string, attribs: sanitizeHtml.Attributes) => {
    const here = pending
    pending = undefined
    let out = attribs
    if (attribs.class?.includes(EMAIL_BODY_CLASS) && here?.name !== 'body') {
      out = { ...attribs, class: attribs.class.replaceAll(EMAIL_BODY_CLASS, '').trim() }
    }
    // Most elements set no colour and no style: nothing to do (the sanitizer's hot path).
    if (!here?.own || (!here.changed && here.decls.length === 0 && !out.bgcolor && !out.text)) {
      return { tagName, attribs: out }
    }
    out = { ...out }
    const styles: Array<[string, string]> = []
    for (const [prop, value] of here.decls) {
      if (prop === 'background') {
        const colour = backgroundShorthandColour(value)
        if (colour) styles.push(['background-color', colour])
      } else styles.push([prop, value])
    }
    // bgcolor stays an attribute only where HTML has it (tables); elsewhere it becomes a style.
    if (out.bgcolor && !/^(?:table|td|th)$/.test(tagName)) {
      if (COLOR.test(out.bgcolor) && !styles.some(([p]) => p === 'background-color')) {
        styles.unshift(['background-color', out.bgcolor])
      }
      delete out.bgcolor
    }
    if (out.text) {
      if (COLOR.test(out.text) && !styles.some(([p]) => p === 'color')) styles.unshift(['color', out.text])
      delete out.text
    }
    // Only where the colours change: above it they were readable, or made so.
    const { background, text } = here.frame
    if (here.changed && background && text && contrastRatio(background, text) < UNREADABLE_CONTRAST) {
      const readable = luminance(background) > 0.18 ? DARK_TEXT : LIGHT_TEXT
      here.frame.text = parseColour(readable) as Rgb
      for (let i = styles.length - 1; i >= 0; i--) if (styles[i]![0] === 'color') styles.splice(i, 1)
      styles.push(['color', readable])
      if (tagName === 'font') delete out.color
    }
    if (here.frame.hidden && !styles.some(([p, v]) => p === 'display' && /^none\b/i.test(v))) {
      styles.push(['display', 'none'])
    }
    if (styles.length > 0) out.style = styles.map(([p, v]) => `${p}:${v}`).join(';')
    else delete out.style
    return { tagName, attribs: out }
  }

  return { open, close, transform }
}
