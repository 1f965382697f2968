import { getFormProps, getInputProps, getTextareaProps, type SubmissionResult } from '@conform-to/react'
import { useFetcher } from '@remix-run/react'
import { Button } from '#app/components/ui/button.tsx'
import { Field, TextareaField } from '#app/components/ui/field.tsx'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { useDrawnValues } from '#app/utils/use-drawn-values.ts'
import { TeammateEdits } from '#app/components/ui/teammate-saved.tsx'
import type { TeammateConflict } from '#app/utils/drawn-base.ts'
import { preloadRouteModule } from '#app/utils/preload-route.ts'
import { useReloadWhenRedirectDropped } from '#app/components/use-kept-post.ts'
import {
  COMPANY_MAX,
  CustomerProfileSchema,
  NOTES_MAX,
  PROFILE_FIELD_LABEL,
  profileBase,
  TIME_ZONE_NAME_MAX,
} from '#app/utils/customer-profile.ts'
import { MergedNotice, type MergedInto } from './merged-notice.tsx'

/** What the customer page's action answers a refused profile form with. */
export type ProfileActionData = {
  intent?: string
  result?: SubmissionResult<string[]>
  error?: string
  mergedInto?: MergedInto
  /** A save refused because a teammate saved these fields meanwhile: what is stored now. */
  conflict?: TeammateConflict[]
}

type Props = {
  slug: string
  contact: { id: string; company: string | null; timeZone: string | null; notes: string }
  /** Set on the ticket page: after saving, the agent comes back to this ticket. */
  returnTo?: number
  /** The refusal of a full-page (no JavaScript) post, on the customer page. */
  pageResult?: SubmissionResult<string[]>
  /** The customer page's own answer without JavaScript: a save refused as a conflict. */
  pageConflict?: TeammateConflict[]
}

/**
 * Company, time zone and private notes. It posts to the customer page's action (intent
 * `profile`): with JavaScript through a fetcher, so the ticket page stays where it is and field
 * errors show in place; without it as a plain form, which lands on the customer page on errors.
 */
export function CustomerProfileForm({ slug, contact, returnTo, pageResult, pageConflict }: Props) {
  const fetcher = useFetcher<ProfileActionData>()
  useReloadWhenRedirectDropped(fetcher)
  const fetched = fetcher.data?.intent === 'profile' ? fetcher.data.result : undefined
  const formId = `profile-${contact.id}${returnTo ? '-card' : ''}`
  const stored = { company: contact.company ?? '', timeZone: contact.timeZone ?? '', notes: contact.notes }
  const [form, fields] = useSchemaForm(CustomerProfileSchema, {
    id: formId,
    lastResult: fetched ?? pageResult,
    defaultValue: stored,
    shouldRevalidate: 'onBlur',
  })
  // The stored profile changes under the form (a teammate's save, seen on the page's next reload,
  // or this agent's own, whose redirect reloads it): see useDrawnValues. The agent's own save is
  // told by what they typed being what is now stored, read as the action reads it.
  const { drawn, overwritten } = useDrawnValues(formId, stored, {
    update: form.update,
    asSaved: profileAsSaved,
  })
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
      <input
        type="hidden"
        name="base"
        value={profileBase({ company: drawn.company, timeZone: drawn.timeZone, notes: drawn.notes })}
      />
      {returnTo ? <input type="hidden" name="returnTo" value={returnTo} /> : null}
      <Field
        label="Company"
        inputProps={{ ...getInputProps(fields.company, { type: 'text' }), maxLength: COMPANY_MAX }}
        errors={fields.company.errors}
      />
      <Field
        label="Time zone"
        inputProps={{
          ...getInputProps(fields.timeZone, { type: 'text' }),
          maxLength: TIME_ZONE_NAME_MAX,
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
      <TeammateEdits
        stored={stored}
        overwritten={overwritten}
        // A fetcher keeps its last answer through the redirect of a save that went through: the
        // note shows only while the teammate's value is what is stored.
        conflict={fetcher.state === 'idle' ? (fetcher.data?.conflict ?? pageConflict) : undefined}
        label={(name) => PROFILE_FIELD_LABEL[name]}
      />
      {fetcher.state === 'idle' && fetcher.data?.mergedInto ? (
        <MergedNotice slug={slug} into={fetcher.data.mergedInto} unsaved />
      ) : null}
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

const ProfileFieldsSaved = CustomerProfileSchema.pick({ company: true, timeZone: true, notes: true })

/** Typed profile fields as the action stores them; as typed when they would be refused. */
function profileAsSaved(typed: { company: string; timeZone: string; notes: string }) {
  const read = ProfileFieldsSaved.safeParse(typed)
  if (!read.success) return typed
  return { company: read.data.company, timeZone: read.data.timeZone ?? '', notes: read.data.notes }
}
