import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node'
import { notFound } from '#app/domain/errors.server.ts'
import {
  findSupportTarget,
  SUPPORT_FORM_LIMIT,
  submitSupportRequest,
  supportFormOpen,
  supportRequestOverLimit,
} from '#app/domain/support.server.ts'
import { parseSubmission } from '#app/http/form-data.server.ts'
import { filesNotKept, parseFormWithFiles } from '#app/http/uploads.server.ts'
import { SupportRequestSchema } from '#app/utils/support-schemas.ts'
import { limitRefusal } from '#app/http/limit-refusal.server.ts'

/** Loader and action shared by /support/<slug> (first mailbox) and /support/<slug>/<mailbox>. */

async function requireTarget(slug: string | undefined, mailboxKey: string | undefined) {
  const target = await findSupportTarget(slug ?? '', mailboxKey)
  if (!target) throw notFound()
  return target
}

export async function supportFormLoader({ request, params }: LoaderFunctionArgs) {
  const target = await requireTarget(params.slug, params.mailbox)
  const query = new URL(request.url).searchParams
  const sent = query.get('sent')
  return {
    workspaceName: target.workspace.name,
    // After the redirect: the confirmation, with the ticket number when we have one, and whether
    // it was emailed (not when the workspace's automatic emails for the hour were used up).
    sent:
      sent === null
        ? null
        : { number: /^[1-9]\d{0,8}$/.test(sent) ? Number(sent) : null, emailed: !query.has('unconfirmed') },
  }
}

export async function supportFormAction({ request, params, context }: ActionFunctionArgs) {
  const target = await requireTarget(params.slug, params.mailbox)
  const path = new URL(request.url).pathname
  // A post over the form's limits is answered without its files written: asked before the first
  // file, with the email the form sends before its files (a post with a file first is refused).
  const upload = await parseFormWithFiles(request, {
    fieldsBeforeFiles: ['email'],
    admitFiles: (fields) => {
      const email = fields.get('email')
      return supportFormOpen(context.clientIp, typeof email === 'string' ? email.trim() : undefined)
    },
  })
  // A filled honeypot is a bot: answer as if all went well, write nothing.
  const honeypot = upload.formData.get('website')
  if (typeof honeypot === 'string' && honeypot.trim() !== '') return redirect(`${path}?sent`)
  const submission = parseSubmission(upload.formData, { schema: SupportRequestSchema })
  if (submission.status !== 'success' || !upload.ok) {
    return data(
      {
        result: submission.reply(upload.ok ? undefined : { fieldErrors: { files: [upload.error] } }),
        filesNotKept: filesNotKept(upload),
      },
      { status: 400 },
    )
  }
  const outcome = upload.admitted
    ? await submitSupportRequest(target, submission.value, upload.files, context.clientIp)
    : await supportRequestOverLimit(target, submission.value, upload.files)
  if (outcome.kind === 'limited') {
    return data(
      {
        result: submission.reply({
          formErrors: [
            'We have received several requests from you in the last few minutes. Please wait 10 minutes and try again.',
          ],
        }),
        filesNotKept: filesNotKept(upload),
      },
      limitRefusal(SUPPORT_FORM_LIMIT),
    )
  }
  if (outcome.kind === 'unknown-mailbox') throw notFound()
  context.realtime.publish(outcome.events)
  return redirect(`${path}?sent=${outcome.number}${outcome.emailed ? '' : '&unconfirmed'}`)
}
