import * as RadixTabs from '@radix-ui/react-tabs'
import type { ReactNode } from 'react'
import { useHydrated } from '#app/utils/use-hydrated.ts'

export type Tab = { value: string; label: string; content: ReactNode }

/**
 * Tabs on Radix (arrow keys between tabs, tabpanel wiring). Without JavaScript the tab list would
 * do nothing, so every panel is shown one after another under its label as a heading instead.
 * For views that are separate pages (settings sections, queue views) use links, not tabs.
 */
export function Tabs({ label, tabs, defaultValue }: { label: string; tabs: Tab[]; defaultValue?: string }) {
  const hydrated = useHydrated()
  if (!hydrated) {
    return (
      <div className="space-y-6">
        {tabs.map((tab) => (
          <section key={tab.value} aria-label={tab.label}>
            <h3 className="mb-2 text-sm font-semibold">{tab.label}</h3>
            {tab.content}
          </section>
        ))}
      </div>
    )
  }
  return (
    <RadixTabs.Root defaultValue={defaultValue ?? tabs[0]?.value}>
      <RadixTabs.List
        aria-label={label}
        className="flex gap-1 border-b border-slate-200 dark:border-slate-800"
      >
        {tabs.map((tab) => (
          <RadixTabs.Trigger
            key={tab.value}
            value={tab.value}
            className="-mb-px border-b-2 border-transparent px-3 py-2 text-sm font-medium text-slate-600 hover:text-slate-900 data-[state=active]:border-indigo-600 data-[state=active]:text-indigo-700 dark:text-slate-400 dark:hover:text-slate-100 dark:data-[state=active]:text-indigo-300"
          >
            {tab.label}
          </RadixTabs.Trigger>
        ))}
      </RadixTabs.List>
      {tabs.map((tab) => (
        <RadixTabs.Content key={tab.value} value={tab.value} className="pt-4 focus-visible:outline-2">
          {tab.content}
        </RadixTabs.Content>
      ))}
    </RadixTabs.Root>
  )
}
