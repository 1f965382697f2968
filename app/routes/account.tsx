import { getFormProps, getInputProps } from '@conform-to/react'
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { z } from 'zod'
import { AccountFrame } from '#app/components/account/account-frame.tsx'
import { PersonalSettingsForms } from '#app/components/account/personal-settings-forms.tsx'
import { Notice } from '#app/components/ui/notice.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { Field, FormErrors, SelectField } from '#app/components/ui/field.tsx'
import { IntentForm } from '#app/components/ui/intent-form.tsx'
import {
  isEmailVerified,
  resendVerificationEmail,
  VERIFY_RESEND_LIMIT,
} from '#app/domain/account-emails.server.ts'
import {
  PASSWORD_CHANGE_USER_LIMIT,
  SERVER_VERIFICATION_EMAILS_SPENT,
  SIGNUP_EMAIL_ADDRESS_LIMIT,
  signupEmailServerLimit,
} from '#app/domain/hashing-limits.server.ts'
import { notificationEmailSettings, setNotificationEmails } from '#app/domain/notification-emails.server.ts'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { useDrawnValues } from '#app/utils/use-drawn-values.ts'
import { EMAIL_NOTIFICATION_KINDS, KIND_LABELS } from '#app/utils/notification-kinds.ts'
import { changePassword, signOutOtherDevices, updateName } from '#app/domain/accounts.server.ts'
import { requireMember, requireUser, workspaceSlugOf } from '#app/http/auth.server.ts'
import { changeSignature, changeTimeZone, personalSettings } from '#app/domain/personal-settings.server.ts'
import { workspacesOf } from '#app/domain/workspaces.server.ts'
import { timeZoneNames } from '#app/utils/format.ts'
import { PersonalSignature, TimeZoneName } from '#app/utils/personal-settings.ts'
import { changeUndoSendDelay, MAX_UNDO_SEND_SECONDS, undoSendDelay } from '#app/domain/undo-send.server.ts'
import { countSessions } from '#app/domain/sessions.server.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'
import { NewPassword, PASSWORD_MAX, PERSON_NAME_MAX, PersonName } from '#app/utils/schemas.ts'
import { keepPageWhenUnanswered, unansweredErrors } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { limitRefusal } from '#app/http/limit-refusal.server.ts'

export const meta: MetaFunction = () => [{ title: 'Your account · Switchboard' }]

/** Why the banner's Resend sent nothing (429): the user's own limit, the address's, or the server's. */
const RESEND_REFUSED = {
  'rate-limited': 'We sent several links recently. Check your inbox, or try again in an hour.',
  'address-limited':
    'We sent several links to this address recently. Check your inbox and spam folder, or try again later.',
  'server-limited': SERVER_VERIFICATION_EMAILS_SPENT,
} as const
/** The limit behind each: its window is the refusal's Retry-After. */
const RESEND_LIMITS = {
  'rate-limited': () => VERIFY_RESEND_LIMIT,
  'address-limited': () => SIGNUP_EMAIL_ADDRESS_LIMIT,
  'server-limited': signupEmailServerLimit,
} as const

const NameSchema = z.object({ intent: z.literal('name'), name: PersonName })
const PasswordSchema = z.object({
  intent: z.literal('password'),
  currentPassword: z
    .string({ error: 'Enter your current password' })
    .max(PASSWORD_MAX, { error: 'Password is too long' }),
  newPassword: NewPassword,
})
const ActionSchema = z.discriminatedUnion('intent', [
  NameSchema,
  PasswordSchema,
  z.object({ intent: z.literal('sign-out-others') }),
  z.object({ intent: z.literal('resend-verification') }),
  z.object({ intent: z.literal('time-zone'), timeZone: TimeZoneName }),
  z.object({ intent: z.literal('signature'), signature: PersonalSignature }),
  z.object({
    intent: z.literal('undo-send'),
    seconds: z
      .number({ error: 'Choose a delay' })
      .int()
      .min(0)
      .max(MAX_UNDO_SEND_SECONDS, { error: `At most ${MAX_UNDO_SEND_SECONDS} seconds` }),
  }),
  z.object({
    intent: z.literal('notification-emails'),
    assigned: z.boolean().optional(),
    'customer-replied': z.boolean().optional(),
    mentioned: z.boolean().optional(),
  }),
])

/** At /w/:slug/account the page is inside that workspace's shell: the user must be a member. */
async function requireAccountUser(request: Request, slug: string | undefined) {
  return slug ? requireMember(request, slug) : requireUser(request)
}

/** The workspace whose shell /account opens in: the one the user came from, else their first. */
async function accountWorkspaceSlug(request: Request, userId: string) {
  const workspaces = await workspacesOf(userId)
  const referer = request.headers.get('referer')
  const from = referer && URL.canParse(referer) ? workspaceSlugOf(new URL(referer).pathname) : null
  return (workspaces.find((w) => w.slug === from) ?? workspaces[0])?.slug ?? null
}

/**
 * Also the loader of /w/:slug/account (w.$slug.account.tsx), where the page sits in the workspace
 * shell; /account sends a user with a workspace there and keeps the card for one without.
 */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user } = await requireAccountUser(request, params.slug)
  if (!params.slug) {
    const slug = await accountWorkspaceSlug(request, user.id)
    if (slug) throw redirect(`/w/${slug}/account`)
  }
  const personal = personalSettings(user.id)
  const [sessions, emailVerified, notificationEmails, undoSendSeconds] = await Promise.all([
    countSessions(user.id),
    isEmailVerified(user.id),
    notificationEmailSettings(user.id),
    undoSendDelay(user.id),
  ])
  return {
    ...(await personal),
    timeZones: timeZoneNames(),
    inShell: Boolean(params.slug),
    name: user.name,
    email: user.email,
    sessions,
    emailVerified,
    notificationEmails,
    undoSendSeconds,
  }
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { user, session } = await requireAccountUser(request, params.slug)
  const submission = parseSubmission(await readForm(request), { schema: ActionSchema })
  if (submission.status !== 'success') {
    return data(
      {
        intent: String(submission.payload.intent ?? ''),
        result: submission.reply({ hideFields: ['currentPassword', 'newPassword'] }),
        notice: null,
      },
      { status: 400 },
    )
  }
  const input = submission.value
  if (input.intent === 'name') {
    await updateName(user.id, input.name)
    return { intent: 'name', result: submission.reply(), notice: 'Name saved.' }
  }
  if (input.intent === 'password') {
    const outcome = await changePassword(
      user.id,
      session.id,
      input.currentPassword,
      input.newPassword,
      context.clientIp,
    )
    if (outcome.kind === 'rate-limited') {
      return data(
        {
          intent: 'password',
          result: submission.reply({
            hideFields: ['currentPassword', 'newPassword'],
            formErrors: ['Too many password changes. Wait 15 minutes and try again.'],
          }),
          notice: null,
        },
        limitRefusal(PASSWORD_CHANGE_USER_LIMIT),
      )
    }
    if (outcome.kind === 'wrong-password') {
      return data(
        {
          intent: 'password',
          result: submission.reply({
            hideFields: ['currentPassword', 'newPassword'],
            fieldErrors: { currentPassword: ['Current password is incorrect'] },
          }),
          notice: null,
        },
        { status: 400 },
      )
    }
    context.realtime.disconnectSessions(outcome.revokedSessionIds)
    return {
      intent: 'password',
      result: submission.reply({ resetForm: true }),
      notice: 'Password changed. Your other sessions were signed out.',
    }
  }
  if (input.intent === 'time-zone') {
    await changeTimeZone(user.id, input.timeZone)
    return {
      intent: 'time-zone',
      result: submission.reply(),
      notice: `Dates are now shown in ${input.timeZone}.`,
    }
  }
  if (input.intent === 'signature') {
    await changeSignature(user.id, input.signature)
    return { intent: 'signature', result: submission.reply(), notice: 'Signature saved.' }
  }
  if (input.intent === 'notification-emails') {
    await setNotificationEmails(user.id, {
      assigned: input.assigned ?? false,
      'customer-replied': input['customer-replied'] ?? false,
      mentioned: input.mentioned ?? false,
    })
    return { intent: 'notification-emails', result: submission.reply(), notice: 'Email notifications saved.' }
  }
  if (input.intent === 'undo-send') {
    await changeUndoSendDelay(user.id, input.seconds)
    return { intent: 'undo-send', result: submission.reply(), notice: 'Undo send delay saved.' }
  }
  if (input.intent === 'resend-verification') {
    const outcome = await resendVerificationEmail(user.id)
    if (outcome.kind !== 'sent' && outcome.kind !== 'already-verified') {
      return data(
        {
          intent: 'resend-verification',
          result: submission.reply({
            formErrors: [RESEND_REFUSED[outcome.kind]],
          }),
          notice: null,
        },
        limitRefusal(RESEND_LIMITS[outcome.kind]()),
      )
    }
    return {
      intent: 'resend-verification',
      result: submission.reply(),
      notice:
        outcome.kind === 'sent'
          ? `We sent a new confirmation link to ${user.email}.`
          : 'Your email address is already confirmed.',
    }
  }
  const revoked = await signOutOtherDevices(user.id, session.id)
  context.realtime.disconnectSessions(revoked)
  return {
    intent: 'sign-out-others',
    result: submission.reply(),
    notice: `Signed out of ${revoked.length} other ${revoked.length === 1 ? 'session' : 'sessions'}.`,
  }
}

/**
 * With JavaScript, a post that gets no answer (offline) says so under that form (they all post
 * their own `intent`); what was typed stays.
 */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

export default function Account() {
  const { name, email, sessions, emailVerified, notificationEmails, undoSendSeconds } =
    useLoaderData<typeof loader>()
  const sent = useActionData<typeof action>()
  const notSentTo = (intent: string) => unansweredErrors(sent, intent)
  // The server's answer; not the stand-in for a post that got none (it has no `result`).
  const actionData = unansweredErrors(sent) ? undefined : sent
  const { timeZone, timeZones, signature, inShell } = useLoaderData<typeof loader>()
  // A refused signature comes back as typed (without JavaScript the page is rendered anew).
  const refusedSignature =
    actionData?.intent === 'signature' && actionData.result.status === 'error'
      ? actionData.result.initialValue?.signature
      : undefined
  const typedSignature = typeof refusedSignature === 'string' ? refusedSignature : undefined
  const navigation = useNavigation()
  const pendingIntent = navigation.state === 'submitting' ? navigation.formData?.get('intent') : null
  const [nameForm, nameFields] = useSchemaForm(NameSchema, {
    id: 'account-name',
    lastResult: actionData?.intent === 'name' ? actionData.result : undefined,
    defaultValue: { name },
  })
  // A name saved in another tab shows once this page reloads its data, unless one is being typed.
  useDrawnValues('account-name', { name }, { update: nameForm.update })
  const [passwordForm, passwordFields] = useSchemaForm(PasswordSchema, {
    id: 'account-password',
    lastResult: actionData?.intent === 'password' ? actionData.result : undefined,
  })
  return (
    <AccountFrame
      inShell={inShell}
      title="Your account"
      footer={
        <Link className="underline" to="/">
          Back to Switchboard
        </Link>
      }
    >
      <Notice className="mb-4">{actionData?.notice}</Notice>
      {/* Form-level refusals (resend limit, an unknown intent); the password form shows its own. */}
      {actionData && actionData.intent !== 'password' && actionData.result.error?.[''] ? (
        <p role="alert" className="mb-4 text-sm text-red-600 dark:text-red-400">
          {actionData.result.error[''].join(' ')}
        </p>
      ) : null}
      {notSentTo('resend-verification') ? (
        <FormErrors id="resend-verification-error" errors={notSentTo('resend-verification')} />
      ) : null}
      <p className="mb-4 text-sm text-slate-600 dark:text-slate-400">
        Signed in as {email}{' '}
        {emailVerified ? (
          <span className="text-emerald-700 dark:text-emerald-400">(confirmed)</span>
        ) : (
          <span>(not confirmed yet: no notification emails until you open the link we sent)</span>
        )}
      </p>
      {emailVerified ? null : (
        <Form method="post" className="mb-4">
          <input type="hidden" name="intent" value="resend-verification" />
          <Button type="submit" variant="secondary" pending={pendingIntent === 'resend-verification'}>
            Resend confirmation email
          </Button>
        </Form>
      )}
      <Form method="post" {...getFormProps(nameForm)} className="space-y-2">
        <input type="hidden" name="intent" value="name" />
        <Field
          label="Name"
          inputProps={{ ...getInputProps(nameFields.name, { type: 'text' }), maxLength: PERSON_NAME_MAX }}
          errors={nameFields.name.errors}
        />
        <Button type="submit" pending={pendingIntent === 'name'}>
          Save name
        </Button>
        <FormErrors id={nameForm.errorId} errors={notSentTo('name')} />
      </Form>
      <hr className="my-6 border-slate-200 dark:border-slate-800" />
      <PersonalSettingsForms
        name={name}
        timeZone={timeZone}
        timeZones={timeZones}
        signature={signature}
        typedSignature={typedSignature}
        errors={actionData ? { intent: actionData.intent, fields: actionData.result.error } : null}
        notSentTo={notSentTo}
        pendingIntent={pendingIntent}
      />
      <Form method="post" {...getFormProps(passwordForm)} className="space-y-2">
        <input type="hidden" name="intent" value="password" />
        <Field
          label="Current password"
          inputProps={{
            ...getInputProps(passwordFields.currentPassword, { type: 'password' }),
            maxLength: PASSWORD_MAX,
            autoComplete: 'current-password',
          }}
          errors={passwordFields.currentPassword.errors}
        />
        <Field
          label="New password"
          hint="At least 12 characters. Changing it signs out your other sessions and ends any password reset link emailed to you."
          inputProps={{
            ...getInputProps(passwordFields.newPassword, { type: 'password' }),
            maxLength: PASSWORD_MAX,
            autoComplete: 'new-password',
          }}
          errors={passwordFields.newPassword.errors}
        />
        <Button type="submit" pending={pendingIntent === 'password'}>
          Change password
        </Button>
        <FormErrors id={passwordForm.errorId} errors={notSentTo('password') ?? passwordForm.errors} />
      </Form>
      <hr className="my-6 border-slate-200 dark:border-slate-800" />
      <IntentForm
        intent="notification-emails"
        submitLabel="Save email notifications"
        pendingIntent={pendingIntent}
        notSent={notSentTo('notification-emails')}
        stored={Object.fromEntries(
          EMAIL_NOTIFICATION_KINDS.map((kind) => [kind, notificationEmails[kind] ? 'on' : '']),
        )}
      >
        <fieldset className="space-y-1">
          <legend className="text-sm font-medium">Email me when</legend>
          {EMAIL_NOTIFICATION_KINDS.map((kind) => (
            <label key={kind} className="flex items-center gap-2 text-sm">
              <input type="checkbox" name={kind} defaultChecked={notificationEmails[kind]} />
              {KIND_LABELS[kind]}
            </label>
          ))}
        </fieldset>
      </IntentForm>
      <hr className="my-6 border-slate-200 dark:border-slate-800" />
      <IntentForm
        intent="undo-send"
        submitLabel="Save undo send"
        pendingIntent={pendingIntent}
        notSent={notSentTo('undo-send')}
        stored={{ seconds: String(undoSendSeconds) }}
      >
        <SelectField
          label="Undo send"
          hint="Your replies wait this long before they are emailed, with an Undo button meanwhile."
          selectProps={{ id: 'undo-send-seconds', name: 'seconds', defaultValue: String(undoSendSeconds) }}
        >
          {[0, 5, 10, 15, 20, 30].map((s) => (
            <option key={s} value={s}>
              {s === 0 ? 'Off (send at once)' : `${s} seconds`}
            </option>
          ))}
        </SelectField>
      </IntentForm>
      <hr className="my-6 border-slate-200 dark:border-slate-800" />
      <IntentForm
        intent="sign-out-others"
        submitLabel="Sign out of all other devices"
        pendingIntent={pendingIntent}
        notSent={notSentTo('sign-out-others')}
      >
        <p className="text-sm">
          You have {sessions} active {sessions === 1 ? 'session' : 'sessions'}. Signing out of the others also
          ends any password reset link emailed to you.
        </p>
      </IntentForm>
    </AccountFrame>
  )
}
