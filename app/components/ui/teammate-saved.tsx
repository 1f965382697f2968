const list = new Intl.ListFormat('en', { type: 'conjunction' })

/** A saved value as the notice quotes it: one line, shortened, "empty" when there is none. */
function quoted(value: string | string[]) {
  const text = (Array.isArray(value) ? value.join(', ') : value).replace(/\s+/g, ' ').trim()
  if (text === '') return 'empty'
  return `“${text.length > 60 ? `${text.slice(0, 59)}…` : text}”`
}

/**
 * In an edit form: the fields a teammate saved while this person was editing them here (see
 * useDrawnValues). The person's text stays in them; saving replaces the teammate's.
 */
export function TeammateSaved({ fields }: { fields: Array<{ label: string; value: string | string[] }> }) {
  if (fields.length === 0) return null
  const named = list.format(fields.map((field) => `${field.label} (now ${quoted(field.value)})`))
  return (
    <p
      role="status"
      className="rounded-md bg-amber-50 p-3 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100"
    >
      A teammate saved {named} while you were editing {fields.length === 1 ? 'it' : 'them'} here. Saving
      replaces {fields.length === 1 ? 'it' : 'them'} with what you typed; the other fields show what is saved.
    </p>
  )
}
