import { createElement, type ComponentType } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import * as lucide from 'lucide-react'
import { describe, expect, it } from 'vitest'
import * as icons from '#app/components/ui/icons.tsx'

/**
 * app/components/ui/icons.tsx draws lucide's icons from their data instead of through
 * lucide-react's components (cheaper per render). The markup must stay lucide-react's own, for
 * every icon and every way the app passes props: a lucide upgrade that changes either fails here.
 */
const PAIRS: [name: string, ours: ComponentType<object>, theirs: ComponentType<object>][] = [
  ['Bell', icons.Bell, lucide.Bell],
  ['Check', icons.Check, lucide.Check],
  ['ChevronDown', icons.ChevronDown, lucide.ChevronDown],
  ['ChevronLeft', icons.ChevronLeft, lucide.ChevronLeft],
  ['ChevronRight', icons.ChevronRight, lucide.ChevronRight],
  ['Command', icons.Command, lucide.Command],
  ['Eye', icons.Eye, lucide.Eye],
  ['LogOut', icons.LogOut, lucide.LogOut],
  ['MenuIcon', icons.MenuIcon, lucide.Menu],
  ['Paperclip', icons.Paperclip, lucide.Paperclip],
  ['Plus', icons.Plus, lucide.Plus],
  ['Search', icons.Search, lucide.Search],
  ['UserRound', icons.UserRound, lucide.UserRound],
  ['X', icons.X, lucide.X],
] as [string, ComponentType<object>, ComponentType<object>][]

const PROPS: Record<string, unknown>[] = [
  {},
  { className: 'size-4' },
  { 'aria-hidden': true, className: 'size-3.5' },
  { className: 'inline size-4 align-[-3px] transition-transform group-open:rotate-180' },
  { className: 'size-3.5', strokeWidth: 3 },
  { className: '  size-4   lucide  extra ' },
  { 'aria-label': 'Close', role: 'img' },
  { title: 'Notifications', className: 'size-5' },
  { 'aria-hidden': true, className: 'size-4', 'data-testid': 'icon' },
]

describe('icons', () => {
  it('render exactly what lucide-react renders, for every icon and the props the app passes', () => {
    for (const [name, ours, theirs] of PAIRS) {
      for (const props of PROPS) {
        const expected = renderToStaticMarkup(createElement(theirs, props))
        expect(renderToStaticMarkup(createElement(ours, props)), `${name} ${JSON.stringify(props)}`).toBe(
          expected,
        )
      }
    }
  })

  it('render the same markup twice (the shapes are shared between renders)', () => {
    const first = renderToStaticMarkup(createElement(icons.X, { className: 'size-4' }))
    expect(renderToStaticMarkup(createElement(icons.X, { className: 'size-4' }))).toBe(first)
    expect(first).toContain('aria-hidden="true"')
    expect(first).toContain('class="lucide lucide-x size-4"')
  })

  it('every icon the app exports is checked above', () => {
    const exported = Object.entries(icons)
      .filter(([, value]) => typeof value === 'function' && 'displayName' in value)
      .map(([name]) => name)
    expect(exported.sort()).toEqual(PAIRS.map(([name]) => name).sort())
  })
})
