import {
  getFormProps,
  getInputProps,
  getTextareaProps,
  type FieldMetadata,
  type SubmissionResult,
} from '@conform-to/react'
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { z } from 'zod'
import { Notice } from '#app/components/ui/notice.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { ConfirmButton, ConfirmStepPage } from '#app/components/ui/confirm-dialog.tsx'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { savedResult, useDrawnValues } from '#app/utils/use-drawn-values.ts'
import { conflictIn, onOff, TeammateEdits } from '#app/components/ui/teammate-saved.tsx'
import type { TeammateConflict } from '#app/utils/drawn-base.ts'
import { teammateConflict } from '#app/http/teammate-conflict.server.ts'
import { askToConfirm, confirmStepOf, isConfirmed, withoutConfirmStep } from '#app/utils/confirmation.ts'
import { Field, FormErrors, TextareaField } from '#app/components/ui/field.tsx'
import { errorsNoControlShows } from '#app/utils/unshown-errors.ts'
import { requireMember } from '#app/http/auth.server.ts'
import { inboundWiring } from '#app/domain/inbound-status.server.ts'
import { MailboxWiring } from '#app/components/mailbox-wiring.tsx'
import {
  archiveMailbox,
  createMailbox,
  mailboxesOf,
  setAutoAcknowledgement,
  unarchiveMailbox,
  updateMailbox,
  type CreateMailboxOutcome,
  type MailboxConflict,
} from '#app/domain/mailboxes.server.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'
import {
  AutoAcknowledgementSchema,
  CreateMailboxSchema,
  mailboxKeyFrom,
  UpdateMailboxSchema,
  autoAcknowledgementBase,
  mailboxBase,
  MAILBOX_KEY_MAX,
  MAILBOX_NAME_MAX,
  SENDER_NAME_MAX,
} from '#app/utils/mailbox-schemas.ts'
import { EMAIL_MAX } from '#app/utils/schemas.ts'
import { hasRole } from '#app/utils/roles.ts'
import { keepPageWhenUnanswered } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { useUnansweredForm } from '#app/utils/unanswered-form.ts'

export const meta: MetaFunction = () => [{ title: 'Mailboxes · Switchboard' }]

const ActionSchema = z.discriminatedUnion('intent', [
  CreateMailboxSchema,
  UpdateMailboxSchema,
  z.object({ intent: z.literal('archive'), mailboxId: z.uuid({ error: 'Unknown mailbox' }) }),
  z.object({ intent: z.literal('unarchive'), mailboxId: z.uuid({ error: 'Unknown mailbox' }) }),
  AutoAcknowledgementSchema,
])

const CREATE_FORM_ID = 'new-mailbox'
const editFormId = (mailboxId: string) => `mailbox-${mailboxId}`
const autoAckFormId = (mailboxId: string) => `auto-ack-${mailboxId}`
const MAILBOX_FIELD_LABEL = {
  name: 'Name',
  address: 'Public address',
  fromName: 'Sender name',
  signature: 'Signature',
} as const

/** Which form on the page the result belongs to, so only that one shows its errors. */
function formIdOf(payload: Record<string, unknown>) {
  if (payload.intent === 'create') return CREATE_FORM_ID
  if (payload.intent === 'update' && typeof payload.mailboxId === 'string')
    return editFormId(payload.mailboxId)
  if (payload.intent === 'auto-acknowledge' && typeof payload.mailboxId === 'string')
    return autoAckFormId(payload.mailboxId)
  return 'mailboxes'
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const mailboxes = await mailboxesOf(member)
  const canManage = hasRole(member.role, 'admin')
  const inbound = await inboundWiring(
    member,
    mailboxes.map((m) => m.id),
  )
  return {
    inbound,
    canManage,
    slug: member.workspaceSlug,
    mailboxes: mailboxes.map((m) => ({ ...m, archivedAt: m.archivedAt?.toISOString() ?? null })),
  }
}

/** The field error for a mailbox the domain refused: where the person can fix it. */
function refusalOf(
  outcome: MailboxConflict | Extract<CreateMailboxOutcome, { kind: 'key-taken' }>,
  input: { name: string; address: string },
): Record<string, string[]> {
  const restore = 'restore it under Archived mailboxes'
  switch (outcome.kind) {
    case 'name-taken':
      return {
        name: [
          outcome.archived
            ? `An archived mailbox is already named “${input.name}”: ${restore}, or choose another name.`
            : `Another mailbox is already named “${input.name}”. Choose another name.`,
        ],
      }
    case 'address-taken':
      return {
        address: [
          outcome.archived
            ? `The archived mailbox “${outcome.name}” already uses ${input.address}: ${restore}, or use another address.`
            : `The mailbox “${outcome.name}” already uses ${input.address}. Use another address.`,
        ],
      }
    case 'key-taken':
      // Left empty, the key was made from the name: say so where the person typed.
      return outcome.fromName
        ? {
            name: [
              `The key made from this name, “${outcome.key}”, is already used by another mailbox (archived ones keep theirs). Change the name, or choose a key.`,
            ],
          }
        : {
            key: [
              `The key “${outcome.key}” is already used by another mailbox (maybe an archived one). Choose another.`,
            ],
          }
  }
}

export async function action({ request, params }: ActionFunctionArgs) {
  const member = await requireMember(request, params.slug, 'admin')
  const form = await readForm(request)
  const submission = parseSubmission(form, { schema: ActionSchema })
  const formId = formIdOf(submission.payload)
  if (submission.status !== 'success') {
    return data({ result: submission.reply(), formId, notice: null }, { status: 400 })
  }
  const input = submission.value
  switch (input.intent) {
    case 'create': {
      const outcome = await createMailbox(member, input)
      if (outcome.kind !== 'created') {
        return data(
          { result: submission.reply({ fieldErrors: refusalOf(outcome, input) }), formId, notice: null },
          { status: 400 },
        )
      }
      return {
        result: submission.reply({ resetForm: true }),
        formId,
        notice: `Mailbox “${input.name}” created.`,
      }
    }
    case 'update': {
      const outcome = await updateMailbox(member, input.mailboxId, input)
      if (outcome.kind === 'teammate-saved')
        return teammateConflict(submission, outcome.fields, { formId, notice: null })
      if (outcome.kind !== 'saved') {
        return data(
          { result: submission.reply({ fieldErrors: refusalOf(outcome, input) }), formId, notice: null },
          { status: 400 },
        )
      }
      // The form is drawn again from what is stored, which may hold a teammate's change in a field
      // this admin did not edit.
      return {
        result: submission.reply({ resetForm: true }),
        formId,
        notice: `Mailbox “${outcome.saved.name}” saved.`,
      }
    }
    case 'archive': {
      if (!isConfirmed(form)) {
        // The page without JavaScript names what it archives (this workspace's only: 404 otherwise).
        const mailbox = (await mailboxesOf(member)).find((m) => m.id === input.mailboxId)
        if (!mailbox) throw new Response('No such mailbox', { status: 404 })
        return askToConfirm({
          title: `Archive the mailbox “${mailbox.name}” (${mailbox.address})?`,
          description: 'It keeps its tickets and disappears from pickers. You can restore it later.',
          confirmLabel: 'Archive',
          fields: [
            ['intent', 'archive'],
            ['mailboxId', input.mailboxId],
          ],
        })
      }
      const outcome = await archiveMailbox(member, input.mailboxId)
      if (outcome.kind === 'last-active') {
        return data(
          {
            result: submission.reply({
              formErrors: ['The last active mailbox cannot be archived. Create another one first.'],
            }),
            formId,
            notice: null,
          },
          { status: 400 },
        )
      }
      return { result: submission.reply(), formId, notice: 'Mailbox archived.' }
    }
    case 'unarchive':
      await unarchiveMailbox(member, input.mailboxId)
      return { result: submission.reply(), formId, notice: 'Mailbox restored.' }
    case 'auto-acknowledge': {
      const outcome = await setAutoAcknowledgement(member, input.mailboxId, {
        enabled: Boolean(input.enabled),
        text: input.text,
        base: input.base,
        replace: input.replace,
      })
      if (outcome.kind === 'teammate-saved')
        return teammateConflict(submission, outcome.fields, { formId, notice: null })
      if (outcome.kind === 'needs-text') {
        const message = 'A teammate turned it on meanwhile: write the text to send, or turn it off'
        return data(
          { result: submission.reply({ fieldErrors: { text: [message] } }), formId, notice: null },
          { status: 400 },
        )
      }
      // Reset to what is stored: a teammate's change to another field shows (useDrawnValues).
      return {
        result: submission.reply({ resetForm: true }),
        formId,
        notice: outcome.enabled ? 'Auto-acknowledgement on.' : 'Auto-acknowledgement off.',
      }
    }
  }
}

/** With JavaScript, a post that gets no answer (offline) says so; the form keeps what was typed. */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

type Mailbox = ReturnType<typeof useLoaderData<typeof loader>>['mailboxes'][number]

export default function MailboxesSettings() {
  const { canManage, mailboxes, inbound } = useLoaderData<typeof loader>()
  const confirmStep = confirmStepOf(useActionData<typeof action>())
  const actionData = withoutConfirmStep(useActionData<typeof action>())
  const active = mailboxes.filter((m) => !m.archivedAt)
  const archived = mailboxes.filter((m) => m.archivedAt)
  // Not one form's (archive, restore, an unknown intent): every message, ids' included.
  const pageErrors = actionData?.formId === 'mailboxes' ? errorsNoControlShows(actionData.result) : undefined
  const resultFor = (formId: string) => (actionData?.formId === formId ? actionData.result : undefined)
  const conflictFor = (formId: string) => (actionData?.formId === formId ? conflictIn(actionData) : undefined)
  const notSentTo = useUnansweredForm(actionData)
  // Archive and Restore have no message line of their own.
  const notSent = notSentTo({ intent: 'archive' }) ?? notSentTo({ intent: 'unarchive' })
  if (confirmStep) return <ConfirmStepPage step={confirmStep} />
  return (
    <div className="space-y-10">
      <Notice>{actionData?.notice}</Notice>
      <FormErrors id="mailboxes-errors" errors={notSent ?? pageErrors ?? undefined} />
      <section>
        <h2 className="text-lg font-medium">Mailboxes</h2>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
          Customers reach a mailbox in two ways. Its <strong>support form</strong> (linked on each mailbox
          below) works as soon as the mailbox exists. <strong>Email</strong>: forward your support address to
          the mailbox’s forwarding address; SendGrid Inbound Parse posts each message here and it becomes a
          ticket
          {inbound.configured
            ? ' (each mailbox shows when mail last arrived).'
            : ', once inbound email is switched on for this server (see “Email in” below).'}{' '}
          Replies go out by email under the mailbox’s public address and sender name.
        </p>
        <ul className="mt-4 space-y-4">
          {active.map((m) => (
            <MailboxCard
              key={m.id}
              mailbox={m}
              canManage={canManage}
              canArchive={active.length > 1}
              resultFor={resultFor}
              conflictFor={conflictFor}
              notSentTo={notSentTo}
            />
          ))}
        </ul>
        {!canManage ? (
          <p className="mt-4 text-sm text-slate-600 dark:text-slate-400">
            Only owners and admins can change mailboxes.
          </p>
        ) : null}
      </section>
      {canManage ? (
        <CreateMailboxForm lastResult={resultFor(CREATE_FORM_ID)} notSent={notSentTo({ intent: 'create' })} />
      ) : null}
      {archived.length > 0 ? (
        <section>
          <h2 className="text-lg font-medium">Archived mailboxes</h2>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            Archived mailboxes keep their tickets and their key, and no longer appear in pickers.
          </p>
          <ul className="mt-4 space-y-4">
            {archived.map((m) => (
              <MailboxCard key={m.id} mailbox={m} canManage={canManage} canArchive={false} />
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  )
}

function MailboxCard({
  mailbox,
  canManage,
  canArchive,
  resultFor,
  conflictFor,
  notSentTo,
}: {
  mailbox: Mailbox
  canManage: boolean
  canArchive: boolean
  /** The action's answer to the page's form of this id, if the last post was its. */
  resultFor?: (formId: string) => SubmissionResult<string[]> | undefined
  /** Its refusal of that form's save because a teammate saved first (TeammateEdits). */
  conflictFor?: (formId: string) => TeammateConflict[] | undefined
  /** The not-saved message of its form whose post got no answer (useUnansweredForm). */
  notSentTo?: ReturnType<typeof useUnansweredForm>
}) {
  const navigation = useNavigation()
  const { inbound } = useLoaderData<typeof loader>()
  const pendingIntent =
    navigation.state === 'submitting' && navigation.formData?.get('mailboxId') === mailbox.id
      ? navigation.formData.get('intent')
      : null
  const hintId = `forwarding-${mailbox.id}-hint`
  return (
    <li className="rounded-lg border border-slate-200 p-4 dark:border-slate-800">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <h3 className="font-medium">
            {mailbox.name}
            {mailbox.archivedAt ? (
              <span className="ml-2 rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-600 dark:bg-slate-800 dark:text-slate-300">
                archived
              </span>
            ) : null}
          </h3>
          <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-slate-500 dark:text-slate-400">Public address</dt>
            <dd className="break-all">{mailbox.address}</dd>
            <dt className="text-slate-500 dark:text-slate-400">Sender name</dt>
            <dd>{mailbox.fromName}</dd>
            <dt className="text-slate-500 dark:text-slate-400">Key</dt>
            <dd>
              <code>{mailbox.key}</code>
            </dd>
          </dl>
        </div>
        {canManage ? (
          <Form method="post">
            <input type="hidden" name="intent" value={mailbox.archivedAt ? 'unarchive' : 'archive'} />
            <input type="hidden" name="mailboxId" value={mailbox.id} />
            {mailbox.archivedAt ? (
              <Button
                type="submit"
                variant="secondary"
                pending={pendingIntent === 'unarchive'}
                aria-label={`Restore ${mailbox.name}`}
              >
                Restore
              </Button>
            ) : (
              <ConfirmButton
                title={`Archive the mailbox “${mailbox.name}”?`}
                description="It keeps its tickets and disappears from pickers. You can restore it later."
                confirmLabel="Archive"
                variant="secondary"
                pending={pendingIntent === 'archive'}
                disabled={!canArchive}
                tooltip={canArchive ? undefined : 'The last active mailbox cannot be archived'}
                aria-label={`Archive ${mailbox.name}`}
              >
                Archive
              </ConfirmButton>
            )}
          </Form>
        ) : null}
      </div>
      <div className="mt-3 rounded-md bg-slate-50 p-3 dark:bg-slate-900">
        <label htmlFor={`forwarding-${mailbox.id}`} className="block text-sm font-medium">
          Forwarding address
        </label>
        <input
          id={`forwarding-${mailbox.id}`}
          readOnly
          value={mailbox.forwardingAddress}
          aria-describedby={hintId}
          className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-xs dark:border-slate-700 dark:bg-slate-950"
        />
        <p id={hintId} className="mt-1 text-xs text-slate-500 dark:text-slate-400">
          Forward your support address ({mailbox.address}) here: every email that arrives at this address
          becomes a ticket in “{mailbox.name}”.
        </p>
      </div>
      <MailboxWiring wiring={inbound} status={inbound.perMailbox[mailbox.id]} />
      {mailbox.archivedAt ? null : <SupportFormLink mailboxKey={mailbox.key} />}
      {canManage && !mailbox.archivedAt ? (
        <EditMailboxForm
          mailbox={mailbox}
          lastResult={resultFor?.(editFormId(mailbox.id))}
          conflict={conflictFor?.(editFormId(mailbox.id))}
          notSent={notSentTo?.({ intent: 'update', mailboxId: mailbox.id })}
          pending={pendingIntent === 'update'}
        />
      ) : null}
      {canManage && !mailbox.archivedAt ? (
        <AutoAcknowledgementForm
          mailbox={mailbox}
          lastResult={resultFor?.(autoAckFormId(mailbox.id))}
          conflict={conflictFor?.(autoAckFormId(mailbox.id))}
          notSent={notSentTo?.({ intent: 'auto-acknowledge', mailboxId: mailbox.id })}
          pending={pendingIntent === 'auto-acknowledge'}
        />
      ) : null}
    </li>
  )
}

function EditMailboxForm({
  mailbox,
  lastResult,
  conflict,
  notSent,
  pending,
}: {
  mailbox: Mailbox
  lastResult?: SubmissionResult<string[]>
  conflict?: TeammateConflict[]
  /** Its last post got no answer (offline): the message, what was typed stays. */
  notSent?: string[]
  pending: boolean
}) {
  const stored = {
    name: mailbox.name,
    address: mailbox.address,
    fromName: mailbox.fromName,
    signature: mailbox.signature,
  }
  const [form, fields] = useSchemaForm(UpdateMailboxSchema, {
    id: editFormId(mailbox.id),
    lastResult,
    defaultValue: stored,
  })
  // A teammate's save seen on this page's next load: see useDrawnValues.
  const { drawn, overwritten } = useDrawnValues(editFormId(mailbox.id), stored, {
    saved: savedResult(lastResult),
    update: form.update,
  })
  const hasErrors = Boolean(lastResult?.error && Object.keys(lastResult.error).length > 0)
  return (
    <details className="mt-3" open={hasErrors || undefined}>
      <summary className="cursor-pointer text-sm font-medium text-indigo-600 dark:text-indigo-400">
        Edit {mailbox.name}
      </summary>
      <Form method="post" {...getFormProps(form)} className="mt-3 max-w-md space-y-2">
        <input type="hidden" name="intent" value="update" />
        <input type="hidden" name="mailboxId" value={mailbox.id} />
        <input type="hidden" name="base" value={mailboxBase(drawn)} />
        <MailboxFieldsInputs fields={fields} />
        <TeammateEdits
          stored={stored}
          overwritten={overwritten}
          conflict={conflict}
          label={(name) => MAILBOX_FIELD_LABEL[name]}
        />
        <Button type="submit" pending={pending}>
          Save mailbox
        </Button>
        <FormErrors id={form.errorId} errors={notSent ?? form.errors} />
      </Form>
    </details>
  )
}

/** Per mailbox: the automatic answer to new tickets that arrive by email (off by default). */
function AutoAcknowledgementForm({
  mailbox,
  lastResult,
  conflict,
  notSent,
  pending,
}: {
  mailbox: Mailbox
  lastResult?: SubmissionResult<string[]>
  conflict?: TeammateConflict[]
  /** Its last post got no answer (offline): the message, what was typed stays. */
  notSent?: string[]
  pending: boolean
}) {
  const stored = { enabled: mailbox.autoAcknowledge ? 'on' : '', text: mailbox.autoAcknowledgeText }
  const [form, fields] = useSchemaForm(AutoAcknowledgementSchema, {
    id: autoAckFormId(mailbox.id),
    lastResult,
    defaultValue: stored,
  })
  const { drawn, overwritten } = useDrawnValues(autoAckFormId(mailbox.id), stored, {
    saved: savedResult(lastResult),
    update: form.update,
  })
  const hasErrors = Boolean(lastResult?.error && Object.keys(lastResult.error).length > 0)
  return (
    <details className="mt-3" open={hasErrors || undefined}>
      <summary className="cursor-pointer text-sm font-medium text-indigo-600 dark:text-indigo-400">
        Auto-acknowledgement: {mailbox.autoAcknowledge ? 'on' : 'off'}
      </summary>
      <Form method="post" {...getFormProps(form)} className="mt-3 max-w-md space-y-2">
        <input type="hidden" name="intent" value="auto-acknowledge" />
        <input type="hidden" name="mailboxId" value={mailbox.id} />
        <input
          type="hidden"
          name="base"
          value={autoAcknowledgementBase({
            autoAcknowledge: drawn.enabled === 'on',
            autoAcknowledgeText: drawn.text,
          })}
        />
        <label className="flex items-center gap-2 text-sm">
          <input {...getInputProps(fields.enabled, { type: 'checkbox' })} />
          Answer new tickets that arrive by email
        </label>
        <TextareaField
          label="Text"
          textareaProps={getTextareaProps(fields.text)}
          errors={fields.text.errors}
          hint="Sent once per sender per hour, marked as an automatic reply. Not sent to automatic mail, lists or bounces."
        />
        <TeammateEdits
          stored={stored}
          overwritten={overwritten}
          conflict={conflict}
          label={(name) => (name === 'enabled' ? 'the switch' : 'the text')}
          shown={(name, value) => (name === 'enabled' ? onOff(value) : value)}
        />
        <Button type="submit" pending={pending}>
          Save auto-acknowledgement
        </Button>
        <FormErrors id={form.errorId} errors={notSent ?? form.errors} />
      </Form>
    </details>
  )
}

/** The mailbox's own support form: the web channel, which needs no setup. */
function SupportFormLink({ mailboxKey }: { mailboxKey: string }) {
  const { slug } = useLoaderData<typeof loader>()
  const path = `/support/${slug}/${mailboxKey}`
  return (
    <p className="mt-3 text-sm">
      <span className="font-medium">Support form:</span>{' '}
      <a
        href={path}
        target="_blank"
        rel="noreferrer"
        className="font-mono text-xs text-indigo-700 underline dark:text-indigo-300"
      >
        {path}
      </a>
    </p>
  )
}

function CreateMailboxForm({
  lastResult,
  notSent,
}: {
  lastResult?: SubmissionResult<string[]>
  notSent?: string[]
}) {
  const navigation = useNavigation()
  const pending = navigation.state === 'submitting' && navigation.formData?.get('intent') === 'create'
  const [form, fields] = useSchemaForm(CreateMailboxSchema, {
    id: CREATE_FORM_ID,
    lastResult,
  })
  const suggestedKey = mailboxKeyFrom(typeof fields.name.value === 'string' ? fields.name.value : '')
  return (
    <section className="max-w-md">
      <h2 className="text-lg font-medium">New mailbox</h2>
      <Form method="post" {...getFormProps(form)} className="mt-3 space-y-2">
        <input type="hidden" name="intent" value="create" />
        <MailboxFieldsInputs fields={fields} />
        <Field
          label="Key (optional)"
          inputProps={{
            ...getInputProps(fields.key, { type: 'text' }),
            maxLength: MAILBOX_KEY_MAX,
            placeholder: suggestedKey || 'billing',
            autoCapitalize: 'none',
            spellCheck: false,
          }}
          errors={fields.key.errors}
          hint="Used in the forwarding address. Left empty, it is made from the name. It cannot be changed later."
        />
        <Button type="submit" pending={pending}>
          Create mailbox
        </Button>
        <FormErrors id={form.errorId} errors={notSent ?? form.errors} />
      </Form>
    </section>
  )
}

type MailboxFieldMetas<Schema extends Record<string, unknown>> = {
  [K in 'name' | 'address' | 'fromName' | 'signature']: FieldMetadata<string, Schema, string[]>
}

function MailboxFieldsInputs<Schema extends Record<string, unknown>>({
  fields,
}: {
  fields: MailboxFieldMetas<Schema>
}) {
  return (
    <>
      <Field
        label="Name"
        inputProps={{ ...getInputProps(fields.name, { type: 'text' }), maxLength: MAILBOX_NAME_MAX }}
        errors={fields.name.errors}
      />
      <Field
        label="Public address"
        inputProps={{
          ...getInputProps(fields.address, { type: 'email' }),
          maxLength: EMAIL_MAX,
          placeholder: 'support@example.com',
        }}
        errors={fields.address.errors}
        hint="The address customers write to and see replies from."
      />
      <Field
        label="Sender name"
        inputProps={{ ...getInputProps(fields.fromName, { type: 'text' }), maxLength: SENDER_NAME_MAX }}
        errors={fields.fromName.errors}
      />
      <TextareaField
        label="Signature"
        textareaProps={getTextareaProps(fields.signature)}
        errors={fields.signature.errors}
        hint="Added below every reply sent from this mailbox. At most 2,000 characters."
      />
    </>
  )
}
