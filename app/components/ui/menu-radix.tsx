import * as DropdownMenu from '@radix-ui/react-dropdown-menu'
import { useSubmit } from '@remix-run/react'
import { useEffect, useRef } from 'react'
import {
  CONTENT_CLASS,
  ITEM_CLASS,
  MenuLink,
  type MenuEntry,
  type MenuProps,
} from '#app/components/ui/menu.tsx'

/** Menu's JavaScript half (loaded on demand by Menu): the same entries in a Radix DropdownMenu. */
export function RadixMenu(props: MenuProps & { defaultOpen: boolean; focusTrigger: boolean }) {
  const trigger = useRef<HTMLButtonElement>(null)
  const submit = useSubmit()
  const { focusTrigger } = props
  useEffect(() => {
    if (focusTrigger) trigger.current?.focus()
  }, [focusTrigger])
  return (
    <DropdownMenu.Root defaultOpen={props.defaultOpen} modal={false}>
      <DropdownMenu.Trigger ref={trigger} className={`cursor-pointer ${props.triggerClassName}`}>
        {props.trigger}
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content
          align={props.align ?? 'end'}
          sideOffset={4}
          collisionPadding={8}
          className={`${CONTENT_CLASS} ${props.contentClassName ?? ''}`}
        >
          {props.entries.map((entry) => (
            <Entry
              key={entry.key}
              entry={entry}
              onSubmit={props.submit ?? ((action, fields) => submit(fields, { method: 'post', action }))}
            />
          ))}
          {props.footer}
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  )
}

function Entry({
  entry,
  onSubmit,
}: {
  entry: MenuEntry
  onSubmit: (action: string, fields: Record<string, string>) => void
}) {
  switch (entry.type) {
    case 'link':
      return (
        <DropdownMenu.Item asChild>
          <MenuLink entry={entry} />
        </DropdownMenu.Item>
      )
    case 'form':
      // The menu unmounts on select, before a native submit would run: submit through Remix.
      return (
        <DropdownMenu.Item
          className={`${ITEM_CLASS} ${entry.className ?? ''}`}
          onSelect={() => onSubmit(entry.action, entry.fields ?? {})}
        >
          {entry.label}
        </DropdownMenu.Item>
      )
    case 'text':
      return (
        <DropdownMenu.Label className={`px-2 py-1.5 ${entry.className ?? ''}`}>
          {entry.label}
        </DropdownMenu.Label>
      )
    case 'separator':
      return <DropdownMenu.Separator className="my-1 h-px bg-slate-200 dark:bg-slate-700" />
  }
}
