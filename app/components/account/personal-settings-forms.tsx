import { SelectField, TextareaField } from '#app/components/ui/field.tsx'
import { IntentForm } from '#app/components/ui/intent-form.tsx'
import { SIGNATURE_MAX } from '#app/utils/personal-settings.ts'
import { useDesktopNotificationsSetting } from './desktop-notifications.ts'
import { Avatar } from './avatar.tsx'

type Errors = Record<string, string[] | null> | undefined

/**
 * The account page's personal settings: the avatar (initials), time zone, reply signature and
 * desktop notifications. Plain forms: they work without JavaScript (desktop notifications need it).
 */
export function PersonalSettingsForms({
  name,
  timeZone,
  timeZones,
  signature,
  typedSignature,
  errors,
  notSentTo,
  pendingIntent,
}: {
  name: string
  timeZone: string | null
  timeZones: string[]
  signature: string
  /** What was typed, after a refused save: shown instead of the stored signature. */
  typedSignature?: string
  /** The last failed submission's field errors, when it was one of these forms. */
  errors: { intent: string; fields: Errors } | null
  /** The not-saved message (offline) of the form with this intent, if its post got no answer. */
  notSentTo: (intent: string) => string[] | undefined
  pendingIntent: FormDataEntryValue | null | undefined
}) {
  const zoneErrors = errors?.intent === 'time-zone' ? errors.fields?.timeZone : null
  const signatureErrors = errors?.intent === 'signature' ? errors.fields?.signature : null
  return (
    <>
      <div className="mb-6 flex items-center gap-3">
        <Avatar name={name} size="lg" />
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Your avatar shows your initials wherever you appear to teammates.
        </p>
      </div>
      <IntentForm
        intent="time-zone"
        submitLabel="Save time zone"
        pendingIntent={pendingIntent}
        notSent={notSentTo('time-zone')}
        // A zone stored after the page opened (the browser's, detected on this very page, or a save
        // in another tab) shows here once the page reloads its data.
        stored={{ timeZone: timeZone ?? 'UTC' }}
      >
        <SelectField
          label="Time zone"
          hint={`Every date in Switchboard is shown in this zone.${timeZone ? '' : ' Not set yet: dates are in UTC until your browser tells us its zone.'}`}
          selectProps={{ id: 'account-time-zone', name: 'timeZone', defaultValue: timeZone ?? 'UTC' }}
          errors={zoneErrors ?? undefined}
        >
          {timeZones.map((zone) => (
            <option key={zone} value={zone}>
              {zone.replaceAll('_', ' ')}
            </option>
          ))}
        </SelectField>
      </IntentForm>
      <hr className="my-6 border-slate-200 dark:border-slate-800" />
      <IntentForm
        intent="signature"
        submitLabel="Save signature"
        pendingIntent={pendingIntent}
        notSent={notSentTo('signature')}
        stored={{ signature }}
      >
        <TextareaField
          label="Your signature"
          hint={`Added to your replies after the mailbox's signature. Plain text, at most ${SIGNATURE_MAX.toLocaleString('en-US')} characters.`}
          textareaProps={{
            id: 'account-signature',
            name: 'signature',
            defaultValue: typedSignature ?? signature,
            // No maxLength: a pasted signature cut short without a word would go unnoticed. The
            // schema's message shows by the field and the text stays (the hint says the limit).
            rows: 3,
          }}
          errors={signatureErrors ?? undefined}
        />
      </IntentForm>
      <hr className="my-6 border-slate-200 dark:border-slate-800" />
      <DesktopNotificationsToggle />
      <hr className="my-6 border-slate-200 dark:border-slate-800" />
    </>
  )
}

/** Opt-in desktop notifications, stored in this browser (they need JavaScript and permission). */
function DesktopNotificationsToggle() {
  const { supported, state, change } = useDesktopNotificationsSetting()
  return (
    <fieldset className="space-y-1">
      <legend className="text-sm font-medium">Desktop notifications</legend>
      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={state?.on ?? false}
          disabled={!supported || state?.permission === 'denied'}
          onChange={(e) => void change(e.currentTarget.checked)}
        />
        Notify me on this computer when Switchboard is in a background tab
      </label>
      <p className="text-xs text-slate-600 dark:text-slate-400">
        {!supported
          ? 'Needs JavaScript and a browser with notifications.'
          : state?.permission === 'denied'
            ? 'Your browser blocks notifications from Switchboard: allow them in its site settings.'
            : 'Stored in this browser only.'}
      </p>
    </fieldset>
  )
}
