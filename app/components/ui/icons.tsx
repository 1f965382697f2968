import { createElement, type ReactElement, type SVGProps } from 'react'
import * as bell from 'lucide-react/icons/bell'
import * as check from 'lucide-react/icons/check'
import * as chevronDown from 'lucide-react/icons/chevron-down'
import * as chevronLeft from 'lucide-react/icons/chevron-left'
import * as chevronRight from 'lucide-react/icons/chevron-right'
import * as command from 'lucide-react/icons/command'
import * as eye from 'lucide-react/icons/eye'
import * as logOut from 'lucide-react/icons/log-out'
import * as menu from 'lucide-react/icons/menu'
import * as paperclip from 'lucide-react/icons/paperclip'
import * as plus from 'lucide-react/icons/plus'
import * as search from 'lucide-react/icons/search'
import * as userRound from 'lucide-react/icons/user-round'
import * as x from 'lucide-react/icons/x'

/**
 * The app's icons: lucide's SVGs (each icon its own module, ~0.3 KB), never emoji or an icon font,
 * so they render the same everywhere and inherit the text colour. Decorative unless given an
 * aria-* prop, role or title (then as given); give the surrounding control its accessible name.
 *
 * Drawn here from lucide's icon data rather than by lucide-react's components, which rebuild an
 * icon's attributes on every render (class sets, object spreads, a context read: ~10 µs and ~3 KB
 * of garbage per icon, 3% of the home page's server CPU; docs/performance.md, session 30), and
 * whose package entry loads all ~1,800 icons into the server. The markup is lucide-react's own
 * (`tests/unit/icons.test.ts` compares them). A new icon's module goes into vite.config.ts's
 * `optimizeDeps.include` too.
 */

type IconData = {
  name: string
  node: [tag: string, attributes: Record<string, string>][]
  aliases?: unknown[]
}
export type IconProps = Omit<SVGProps<SVGSVGElement>, 'ref' | 'children'>
export type Icon = ((props: IconProps) => ReactElement) & { displayName: string }

// lucide's defaults, in its order (the attributes' order is the markup's).
const SVG_ATTRIBUTES = {
  xmlns: 'http://www.w3.org/2000/svg',
  width: 24,
  height: 24,
  viewBox: '0 0 24 24',
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 2,
  strokeLinecap: 'round',
  strokeLinejoin: 'round',
} as const

/** Whether the caller labelled the icon (lucide's rule): otherwise it is aria-hidden. */
function labelled(props: IconProps) {
  for (const name in props) {
    if (
      (name.startsWith('aria-') || name === 'role' || name === 'title') &&
      props[name as keyof IconProps] != null
    ) {
      return true
    }
  }
  return false
}

function icon(module: object, displayName: string): Icon {
  const data = (module as { __iconData?: IconData }).__iconData
  if (!data?.node) throw new Error(`lucide-react: no icon data for ${displayName}`)
  // The shapes never change: made once, shared by every render (each carries lucide's key).
  const shapes = data.node.map(([tag, attributes]) => createElement(tag, attributes))
  // lucide's classes: its own, then the icon's name and its former names.
  const aliases = (data.aliases ?? []).filter((a): a is string => typeof a === 'string' && a.trim() !== '')
  const baseClass = ['lucide', ...[data.name, ...aliases].map((name) => `lucide-${name}`)].join(' ')
  // The callers' classes are a few literals: each list is made once.
  const classLists = new Map<string, string>()
  const classList = (className: string) => {
    let list = classLists.get(className)
    if (list === undefined) {
      list = classes(baseClass, className)
      if (classLists.size < 64) classLists.set(className, list)
    }
    return list
  }
  const Component = ({ className, strokeWidth, ...rest }: IconProps) =>
    createElement(
      'svg',
      {
        ...SVG_ATTRIBUTES,
        strokeWidth: strokeWidth ?? SVG_ATTRIBUTES.strokeWidth,
        className: className ? classList(className) : baseClass,
        ...(labelled(rest) ? null : { 'aria-hidden': 'true' }),
        ...rest,
      },
      shapes,
    )
  Component.displayName = displayName
  return Component
}

/** lucide's class list: its own classes, then the caller's, each once. */
function classes(base: string, className: string) {
  const tokens = new Set(base.split(' '))
  for (const token of className.split(/\s+/)) if (token) tokens.add(token)
  return [...tokens].join(' ')
}

export const Bell = icon(bell, 'Bell')
export const Check = icon(check, 'Check')
export const ChevronDown = icon(chevronDown, 'ChevronDown')
export const ChevronLeft = icon(chevronLeft, 'ChevronLeft')
export const ChevronRight = icon(chevronRight, 'ChevronRight')
export const Command = icon(command, 'Command')
export const Eye = icon(eye, 'Eye')
export const LogOut = icon(logOut, 'LogOut')
export const MenuIcon = icon(menu, 'Menu')
export const Paperclip = icon(paperclip, 'Paperclip')
export const Plus = icon(plus, 'Plus')
export const Search = icon(search, 'Search')
export const UserRound = icon(userRound, 'UserRound')
export const X = icon(x, 'X')

export function BellIcon({ className = 'size-4' }: { className?: string }) {
  return <Bell aria-hidden className={className} />
}

export function EyeIcon({ className = 'size-3.5' }: { className?: string }) {
  return <Eye aria-hidden className={className} />
}
