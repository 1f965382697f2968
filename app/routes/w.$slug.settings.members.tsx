import { getFormProps, getInputProps, getSelectProps } from '@conform-to/react'
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { z } from 'zod'
import { Notice } from '#app/components/ui/notice.tsx'
import { Button } from '#app/components/ui/button.tsx'
import { ConfirmButton, ConfirmStepPage } from '#app/components/ui/confirm-dialog.tsx'
import { useSchemaForm } from '#app/utils/use-schema-form.ts'
import { useDrawnValues } from '#app/utils/use-drawn-values.ts'
import { TeammateSaved } from '#app/components/ui/teammate-saved.tsx'
import { askToConfirm, confirmStepOf, isConfirmed, withoutConfirmStep } from '#app/utils/confirmation.ts'
import { Field, FormErrors, SelectField } from '#app/components/ui/field.tsx'
import { errorsNoControlShows } from '#app/utils/unshown-errors.ts'
import { env } from '#app/env.server.ts'
import { requireMember } from '#app/http/auth.server.ts'
import {
  INVITE_NEW_LIMIT,
  INVITE_ADDRESS_LIMIT,
  inviteMember,
  resendInvitation,
  revokeInvitation,
} from '#app/domain/invitations.server.ts'
import {
  changeMemberRole,
  leaveWorkspace,
  membersOf,
  pendingInvitationsOf,
  removeMember,
  type Member,
} from '#app/domain/workspaces.server.ts'
import { afterLeaving } from '#app/http/left-notice.server.ts'
import { parseSubmission, readForm } from '#app/http/form-data.server.ts'
import { canAssignRole, hasRole } from '#app/utils/roles.ts'
import { EMAIL_MAX, InviteSchema, Role } from '#app/utils/schemas.ts'
import { ROLES, type Role as RoleName } from '#app/utils/vocabulary.ts'
import { useFormatters } from '#app/utils/use-formatters.ts'
import { keepPageWhenUnanswered, unansweredErrors } from '#app/utils/unanswered.ts'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { limitRefusal } from '#app/http/limit-refusal.server.ts'
import { activeEndpointsAddedBy } from '#app/domain/webhooks.server.ts'

export const meta: MetaFunction = () => [{ title: 'Members · Switchboard' }]

const ActionSchema = z.discriminatedUnion('intent', [
  InviteSchema,
  z.object({ intent: z.literal('revoke-invite'), invitationId: z.uuid() }),
  z.object({ intent: z.literal('resend-invite'), invitationId: z.uuid() }),
  z.object({ intent: z.literal('change-role'), membershipId: z.uuid(), role: Role }),
  z.object({ intent: z.literal('remove'), membershipId: z.uuid() }),
  z.object({ intent: z.literal('leave') }),
])

export async function loader({ request, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, params.slug)
  const canManage = hasRole(member.role, 'admin')
  const [members, invitations] = await Promise.all([
    membersOf(member.workspaceId),
    canManage ? pendingInvitationsOf(member.workspaceId) : Promise.resolve([]),
  ])
  return {
    me: { userId: member.userId, role: member.role },
    workspaceName: member.workspaceName,
    canManage,
    members: members.map((m) => ({ ...m, joinedAt: m.joinedAt.toISOString() })),
    invitations: invitations.map((i) => ({ ...i, expiresAt: i.expiresAt.toISOString() })),
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  // Any member may leave; everything else here is an admin's.
  const member = await requireMember(request, params.slug)
  const form = await readForm(request)
  const submission = parseSubmission(form, { schema: ActionSchema })
  /**
   * The member leaves: on to their next workspace (or Create a workspace) with "You left …"; this
   * page would be a 404 for them now. The last owner stays, told why.
   */
  const leave = async () => {
    const outcome = await leaveWorkspace(member)
    if (outcome.kind === 'last-owner') {
      return data(
        {
          result: submission.reply({ formErrors: [LAST_OWNER_CANNOT_LEAVE] }),
          inviteLink: null,
          notice: null,
        },
        { status: 400 },
      )
    }
    context.realtime.removeFromWorkspace(member.userId, member.workspaceId, { left: true })
    context.realtime.publish(outcome.events)
    return redirect(afterLeaving(member.userId, member.workspaceName, outcome.nextSlug))
  }
  if (submission.status === 'success' && submission.value.intent === 'leave') {
    return isConfirmed(form) ? leave() : askToConfirm(leaveConfirmation(member))
  }
  if (!hasRole(member.role, 'admin')) throw new Response('Forbidden', { status: 403 })
  if (submission.status !== 'success') {
    return data({ result: submission.reply(), inviteLink: null, notice: null }, { status: 400 })
  }
  const input = submission.value
  switch (input.intent) {
    case 'invite': {
      const outcome = await inviteMember(member, input.email, input.role)
      if (
        outcome.kind === 'already-member' ||
        outcome.kind === 'rate-limited' ||
        outcome.kind === 'too-many-new'
      ) {
        const message =
          outcome.kind === 'already-member'
            ? `${outcome.email} is already a member of this workspace.`
            : outcome.kind === 'too-many-new'
              ? `You sent ${INVITE_NEW_LIMIT.max} new invitations in the last hour. Try again later.`
              : `${input.email} was sent ${INVITE_ADDRESS_LIMIT.max} invitation emails from this workspace in the last hour. Try again later.`
        return data(
          { result: submission.reply({ fieldErrors: { email: [message] } }), inviteLink: null, notice: null },
          outcome.kind === 'already-member'
            ? { status: 400 }
            : limitRefusal(outcome.kind === 'too-many-new' ? INVITE_NEW_LIMIT : INVITE_ADDRESS_LIMIT),
        )
      }
      return {
        result: submission.reply({ resetForm: true }),
        inviteLink: `${env().appUrl}/invite/${outcome.token}`,
        notice:
          outcome.kind === 'renewed'
            ? `${input.email} already had a pending invitation: emailed again with a new link (the previous one no longer works). You can also copy it below.`
            : `Invitation emailed to ${input.email}. You can also copy the link below and send it yourself.`,
      }
    }
    case 'resend-invite': {
      const outcome = await resendInvitation(member, input.invitationId)
      if (outcome.kind === 'rate-limited') {
        return data(
          {
            result: submission.reply({
              formErrors: [
                `This address was sent ${INVITE_ADDRESS_LIMIT.max} invitation emails from this workspace in the last hour. Try again later.`,
              ],
            }),
            inviteLink: null,
            notice: null,
          },
          limitRefusal(INVITE_ADDRESS_LIMIT),
        )
      }
      return {
        result: submission.reply(),
        inviteLink: `${env().appUrl}/invite/${outcome.token}`,
        notice: `Invitation emailed again to ${outcome.email}, with a new link (the previous one no longer works).`,
      }
    }
    case 'revoke-invite':
      if (!isConfirmed(form)) {
        // The page without JavaScript names what it revokes (this workspace's only: 404 otherwise).
        const invitation = (await pendingInvitationsOf(member.workspaceId)).find(
          (i) => i.id === input.invitationId,
        )
        if (!invitation) throw new Response('No such invitation', { status: 404 })
        return askToConfirm({
          title: `Revoke the invitation for ${invitation.email}?`,
          description: 'Its link stops working at once. You can invite the person again later.',
          confirmLabel: 'Revoke',
          fields: [
            ['intent', 'revoke-invite'],
            ['invitationId', input.invitationId],
          ],
        })
      }
      await revokeInvitation(member, input.invitationId)
      return { result: submission.reply(), inviteLink: null, notice: 'Invitation revoked.' }
    case 'change-role': {
      const outcome = await changeMemberRole(member, input.membershipId, input.role)
      if (outcome.kind === 'last-owner') {
        return data(
          {
            result: submission.reply({ formErrors: ['A workspace needs at least one owner.'] }),
            inviteLink: null,
            notice: null,
          },
          { status: 400 },
        )
      }
      // Their open tabs follow the new role at once (a page it may not open is left for the inbox).
      if (outcome.before !== input.role) {
        context.realtime.changeRole(outcome.userId, member.workspaceId, input.role)
      }
      return { result: submission.reply(), inviteLink: null, notice: 'Role updated.' }
    }
    case 'remove': {
      if (!isConfirmed(form)) {
        const removed = (await membersOf(member.workspaceId)).find(
          (m) => m.membershipId === input.membershipId,
        )
        if (!removed) throw new Response('No such member', { status: 404 })
        // An admin's own row: the same as Leave workspace.
        if (removed.userId === member.userId) {
          return askToConfirm(leaveConfirmation(member))
        }
        const endpoints = await activeEndpointsAddedBy(member, removed.userId)
        return askToConfirm({
          title: `Remove ${removed.name} (${removed.email}) from the workspace?`,
          description: `They lose access at once; their tickets and messages stay.${keepDelivering(endpoints)}`,
          confirmLabel: 'Remove',
          fields: [
            ['intent', 'remove'],
            ['membershipId', input.membershipId],
          ],
        })
      }
      const own = (await membersOf(member.workspaceId)).find((m) => m.membershipId === input.membershipId)
      if (own?.userId === member.userId) return leave()
      const outcome = await removeMember(member, input.membershipId)
      if (outcome.kind === 'last-owner') {
        return data(
          {
            result: submission.reply({ formErrors: ['The last owner cannot be removed.'] }),
            inviteLink: null,
            notice: null,
          },
          { status: 400 },
        )
      }
      context.realtime.removeFromWorkspace(outcome.userId, member.workspaceId)
      context.realtime.publish(outcome.events)
      return {
        result: submission.reply(),
        inviteLink: null,
        notice: `Member removed.${handedBack(outcome.ticketsUnassigned)}${keepDelivering(outcome.webhookEndpointsAdded)}`,
      }
    }
    case 'leave':
      // Answered above, for every role.
      throw new Error('unreachable')
  }
}

/** What leaving asks first (with JavaScript, the same words are the ConfirmButton's). */
function leaveConfirmation(member: Pick<Member, 'workspaceName'>) {
  return {
    title: `Leave ${member.workspaceName}?`,
    description: leaveDescription(member.workspaceName),
    confirmLabel: 'Leave workspace',
    fields: [['intent', 'leave']] as [string, string][],
  }
}

function leaveDescription(workspaceName: string) {
  return `You will lose access to ${workspaceName} at once. Your tickets and messages stay; the tickets assigned to you that are not closed become unassigned. To come back, you need a new invitation.`
}

const LAST_OWNER_CANNOT_LEAVE =
  'You are the only owner of this workspace, so you cannot leave it. Make another member an owner first.'

/**
 * The webhook endpoints a member added keep delivering after they go (they are the workspace's),
 * to addresses that member chose: the removal's confirmation and its notice say so.
 */
function handedBack(tickets: number) {
  if (tickets === 0) return ''
  return tickets === 1
    ? ' The ticket assigned to them that was not closed is unassigned now.'
    : ` The ${tickets} tickets assigned to them that were not closed are unassigned now.`
}

function keepDelivering(endpoints: number) {
  if (endpoints === 0) return ''
  const which =
    endpoints === 1
      ? 'The webhook endpoint they added keeps'
      : `The ${endpoints} webhook endpoints they added keep`
  return ` ${which} delivering this workspace’s events to the address they chose: review ${endpoints === 1 ? 'it' : 'them'} in Settings → Webhooks.`
}

/** With JavaScript, a post that gets no answer (offline) says so; the form keeps what was typed. */
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

export default function Members() {
  const format = useFormatters()
  const { me, workspaceName, canManage, members, invitations } = useLoaderData<typeof loader>()
  const confirmStep = confirmStepOf(useActionData<typeof action>())
  const actionData = withoutConfirmStep(useActionData<typeof action>())
  const navigation = useNavigation()
  const pendingIntent = navigation.state === 'submitting' ? navigation.formData?.get('intent') : null
  const [form, fields] = useSchemaForm(InviteSchema, {
    id: 'invite',
    lastResult: actionData?.result,
    defaultValue: { role: 'agent' },
  })
  // The form's own refusals and hidden ids' (an unknown intent, a stale member): at the top.
  const formErrors = errorsNoControlShows(actionData?.result, ['email', 'role'])
  // Not saved (offline): under the invite form for it; at the top for the buttons (role, remove,
  // resend, revoke), which have no message line of their own.
  const inviteNotSent = unansweredErrors(actionData, 'invite')
  const notSent = inviteNotSent ? undefined : unansweredErrors(actionData)
  // The last owner is never offered "Remove" (the server refuses it too).
  const owners = members.filter((m) => m.role === 'owner').length
  if (confirmStep) return <ConfirmStepPage step={confirmStep} />
  return (
    <div className="space-y-10">
      <Notice>{actionData?.notice}</Notice>
      {actionData?.inviteLink ? (
        <div className="rounded-md border border-indigo-200 p-4 dark:border-indigo-900">
          <label htmlFor="invite-link" className="block text-sm font-medium">
            Invite link (single use, expires in 7 days)
          </label>
          <input
            id="invite-link"
            readOnly
            value={actionData.inviteLink}
            className="mt-1 block w-full rounded-md border border-slate-300 bg-slate-50 px-3 py-2 font-mono text-xs dark:border-slate-700 dark:bg-slate-900"
          />
        </div>
      ) : null}
      <FormErrors id="members-errors" errors={notSent ?? formErrors ?? undefined} />
      <section>
        <h2 className="text-lg font-medium">Members</h2>
        <table className="mt-3 w-full text-left text-sm">
          <thead className="text-slate-500 dark:text-slate-400">
            <tr>
              <th className="py-2 font-medium">Name</th>
              <th className="py-2 font-medium">Email</th>
              <th className="py-2 font-medium">Role</th>
              <th className="py-2 font-medium">Actions</th>
            </tr>
          </thead>
          <tbody>
            {members.map((m) => {
              const editable = canManage && canAssignRole(me.role, m.role)
              return (
                <tr key={m.membershipId} className="border-t border-slate-200 dark:border-slate-800">
                  <td className="py-2">
                    {m.name}
                    {m.userId === me.userId ? (
                      <span className="text-slate-500 dark:text-slate-400"> (you)</span>
                    ) : null}
                  </td>
                  <td className="py-2">{m.email}</td>
                  <td className="py-2">
                    {editable ? (
                      <RoleForm
                        membershipId={m.membershipId}
                        name={m.name}
                        role={m.role}
                        roles={ROLES.filter((r) => canAssignRole(me.role, r))}
                      />
                    ) : (
                      m.role
                    )}
                  </td>
                  {m.userId === me.userId ? (
                    <td className="py-2">
                      {m.role === 'owner' && owners === 1 ? (
                        <span className="text-slate-600 dark:text-slate-400">
                          You are the only owner: make another member an owner to leave.
                        </span>
                      ) : (
                        <Form method="post">
                          <input type="hidden" name="intent" value="leave" />
                          <ConfirmButton
                            title={`Leave ${workspaceName}?`}
                            description={leaveDescription(workspaceName)}
                            confirmLabel="Leave workspace"
                            variant="secondary"
                          >
                            Leave workspace
                          </ConfirmButton>
                        </Form>
                      )}
                    </td>
                  ) : canManage ? (
                    <td className="py-2">
                      {editable && !(m.role === 'owner' && owners === 1) ? (
                        <Form method="post">
                          <input type="hidden" name="intent" value="remove" />
                          <input type="hidden" name="membershipId" value={m.membershipId} />
                          <ConfirmButton
                            title={`Remove ${m.name} from the workspace?`}
                            description="They lose access at once; their tickets and messages stay."
                            confirmLabel="Remove"
                            aria-label={`Remove ${m.name}`}
                          >
                            Remove
                          </ConfirmButton>
                        </Form>
                      ) : null}
                    </td>
                  ) : (
                    <td className="py-2" />
                  )}
                </tr>
              )
            })}
          </tbody>
        </table>
      </section>
      {canManage ? (
        <>
          <section className="max-w-md">
            <h2 className="text-lg font-medium">Invite a teammate</h2>
            <Form method="post" {...getFormProps(form)} className="mt-3 space-y-2">
              <input type="hidden" name="intent" value="invite" />
              <Field
                label="Email"
                inputProps={{ ...getInputProps(fields.email, { type: 'email' }), maxLength: EMAIL_MAX }}
                errors={fields.email.errors}
              />
              <SelectField label="Role" selectProps={getSelectProps(fields.role)} errors={fields.role.errors}>
                {ROLES.filter((r) => canAssignRole(me.role, r)).map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </SelectField>
              <Button type="submit" pending={pendingIntent === 'invite'}>
                Create invite link
              </Button>
              <FormErrors id={form.errorId} errors={inviteNotSent} />
            </Form>
          </section>
          <section>
            <h2 className="text-lg font-medium">Pending invitations</h2>
            {invitations.length === 0 ? (
              <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">No pending invitations.</p>
            ) : (
              <ul className="mt-3 divide-y divide-slate-200 text-sm dark:divide-slate-800">
                {invitations.map((i) => (
                  <li key={i.id} className="flex items-center justify-between py-2">
                    <span>
                      {i.email} · {i.role} · expires {format.date(i.expiresAt)}
                    </span>
                    {canAssignRole(me.role, i.role) ? (
                      <span className="flex gap-2">
                        <Form method="post">
                          <input type="hidden" name="intent" value="resend-invite" />
                          <input type="hidden" name="invitationId" value={i.id} />
                          <Button
                            type="submit"
                            variant="secondary"
                            aria-label={`Resend invitation to ${i.email}`}
                          >
                            Resend
                          </Button>
                        </Form>
                        <Form method="post">
                          <input type="hidden" name="intent" value="revoke-invite" />
                          <input type="hidden" name="invitationId" value={i.id} />
                          <ConfirmButton
                            title={`Revoke the invitation for ${i.email}?`}
                            description="Its link stops working at once. You can invite the person again later."
                            confirmLabel="Revoke"
                            variant="secondary"
                            aria-label={`Revoke invitation for ${i.email}`}
                          >
                            Revoke
                          </ConfirmButton>
                        </Form>
                      </span>
                    ) : null}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      ) : null}
    </div>
  )
}

/**
 * A member's role, saved with its own button. A teammate's change seen when this page reloads
 * its data shows in the select unless this admin has picked another role there and not saved it
 * (useDrawnValues; a plain form, written directly).
 */
function RoleForm({
  membershipId,
  name,
  role,
  roles,
}: {
  membershipId: string
  name: string
  role: RoleName
  roles: RoleName[]
}) {
  const formId = `role-form-${membershipId}`
  const { overwritten } = useDrawnValues(formId, { role }, {})
  return (
    <Form method="post" id={formId} className="flex flex-wrap items-center gap-2">
      <input type="hidden" name="intent" value="change-role" />
      <input type="hidden" name="membershipId" value={membershipId} />
      <label className="sr-only" htmlFor={`role-${membershipId}`}>
        Role of {name}
      </label>
      <select
        id={`role-${membershipId}`}
        name="role"
        defaultValue={role}
        className="rounded-md border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-900"
      >
        {roles.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <Button type="submit" variant="secondary" aria-label={`Save role of ${name}`}>
        Save
      </Button>
      <TeammateSaved fields={overwritten.map(() => ({ label: `the role of ${name}`, value: role }))} />
    </Form>
  )
}
