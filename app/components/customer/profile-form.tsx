import { getFormProps, getInputProps, getTextareaProps, type SubmissionResult } from '@conform-to/react'
import { useFetcher } from '@remix-run/react'
import { useRef, useState, type MutableRefObject } from 'react'
import { Button } from '#app/components/ui/button.tsx'
import { Field, TextareaField } from '#app/components/ui/field.tsx'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { preloadRouteModule } from '#app/utils/preload-route.ts'
import { useReloadWhenRedirectDropped } from '#app/components/use-kept-post.ts'
import { CustomerProfileSchema, NOTES_MAX, profileBase } from '#app/utils/customer-profile.ts'

/** What the customer page's action answers a refused profile form with. */
export type ProfileActionData = { intent?: string; result?: SubmissionResult<string[]>; error?: string }

type Props = {
  slug: string
  contact: { id: string; company: string | null; timeZone: string | null; notes: string }
  /** Set on the ticket page: after saving, the agent comes back to this ticket. */
  returnTo?: number
  /** The refusal of a full-page (no JavaScript) post, on the customer page. */
  pageResult?: SubmissionResult<string[]>
}

/**
 * Company, time zone and private notes. It posts to the customer page's action (intent
 * `profile`): with JavaScript through a fetcher, so the ticket page stays where it is and field
 * errors show in place; without it as a plain form, which lands on the customer page on errors.
 */
export function CustomerProfileForm(props: Props) {
  // The values the fields were drawn with. When the stored profile changes under the form (a
  // teammate's save, seen on the page's next reload) it is drawn again, unless the agent has
  // edited it to something else: then their typing stays, and the save keeps the teammate's
  // change in every field they did not edit (`base`, see updateContactProfile).
  const stored = profileBase(props.contact)
  const [drawn, setDrawn] = useState(stored)
  const edits = useRef<string | null>(null)
  if (drawn !== stored && (edits.current === null || edits.current === stored)) setDrawn(stored)
  return <ProfileFields key={drawn} {...props} drawn={drawn} edits={edits} />
}

function ProfileFields({
  slug,
  contact,
  returnTo,
  pageResult,
  drawn,
  edits,
}: Props & { drawn: string; edits: MutableRefObject<string | null> }) {
  const fetcher = useFetcher<ProfileActionData>()
  useReloadWhenRedirectDropped(fetcher)
  const fetched = fetcher.data?.intent === 'profile' ? fetcher.data.result : undefined
  const base = JSON.parse(drawn) as { company: string; timeZone: string; notes: string }
  const [form, fields] = useSchemaForm(CustomerProfileSchema, {
    id: `profile-${contact.id}${returnTo ? '-card' : ''}`,
    lastResult: fetched ?? pageResult,
    defaultValue: base,
    shouldRevalidate: 'onBlur',
  })
  // What the fields hold now, as they would be stored (trimmed); null while they are as drawn.
  // Typed loosely: after a refused post without JavaScript the values are what was posted, and a
  // field posted twice is an array (that was a 500 while this read it as a string).
  const value: Record<string, unknown> = form.value ?? {}
  const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '')
  const current = profileBase({
    company: text(value.company),
    timeZone: text(value.timeZone),
    notes: text(value.notes),
  })
  const asDrawn = profileBase({
    company: base.company.trim(),
    timeZone: base.timeZone.trim(),
    notes: base.notes.trim(),
  })
  edits.current = current === asDrawn ? null : current
  return (
    <fetcher.Form
      method="post"
      action={`/w/${slug}/customers/${contact.id}`}
      preventScrollReset
      {...getFormProps(form)}
      // The customer page's module, which the post needs, while the network is there (offline
      // its import would reload the page); see preload-route.ts.
      onFocus={returnTo ? () => preloadRouteModule('routes/w.$slug.customers.$id') : undefined}
      className="space-y-1"
    >
      <input type="hidden" name="intent" value="profile" />
      <input type="hidden" name="base" value={drawn} />
      {returnTo ? <input type="hidden" name="returnTo" value={returnTo} /> : null}
      <Field
        label="Company"
        inputProps={{ ...getInputProps(fields.company, { type: 'text' }), maxLength: 100 }}
        errors={fields.company.errors}
      />
      <Field
        label="Time zone"
        inputProps={{
          ...getInputProps(fields.timeZone, { type: 'text' }),
          placeholder: 'Europe/Paris',
          autoComplete: 'off',
        }}
        hint="A name such as America/New_York; leave empty when unknown."
        errors={fields.timeZone.errors}
      />
      <TextareaField
        label="Private notes"
        textareaProps={{ ...getTextareaProps(fields.notes), maxLength: NOTES_MAX }}
        hint="Only agents of this workspace see these."
        errors={fields.notes.errors}
      />
      <Button type="submit" variant="secondary" pending={fetcher.state !== 'idle'}>
        Save customer details
      </Button>
      {fetcher.state === 'idle' && fetcher.data?.intent === 'unanswered' ? (
        <p role="alert" className="text-xs text-red-600 dark:text-red-400">
          {fetcher.data.error}
        </p>
      ) : null}
    </fetcher.Form>
  )
}
