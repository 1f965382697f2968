import type { ActionFunctionArgs } from '@remix-run/node'
import { z } from 'zod'
import { requireUser } from '#app/http/auth.server.ts'
import { parseSubmission, readForm, SHORT_FORM_BYTES } from '#app/http/form-data.server.ts'
import { adoptDetectedTimeZone } from '#app/domain/personal-settings.server.ts'
import { TimeZoneName } from '#app/utils/personal-settings.ts'

const DetectedZone = z.object({ timeZone: TimeZoneName })

/**
 * POST /account/time-zone: the zone the browser reports on a signed-in user's first visit
 * (`TimeZoneDetector`, with JavaScript only). Kept unless the user has chosen one meanwhile. 204
 * when done (the page then reloads its data so its dates, and the account page's field, show the
 * zone); 400 with the error for a zone that is not one of ours; signed out, the sign-in redirect,
 * which the detector does not follow. Same-origin only, like every POST.
 *
 * A route of its own rather than an intent of /account's action: a plain post to /account is
 * answered, after its action, with the page's loader, which redirects a user with a workspace to
 * /w/<slug>/account, so the detector could not tell a stored zone from a sign-out and never
 * reloaded the page's data.
 */
export async function action({ request }: ActionFunctionArgs) {
  const { user } = await requireUser(request)
  const submission = parseSubmission(await readForm(request, { maxBytes: SHORT_FORM_BYTES }), {
    schema: DetectedZone,
  })
  if (submission.status !== 'success') {
    return Response.json({ error: submission.error }, { status: 400 })
  }
  await adoptDetectedTimeZone(user.id, submission.value.timeZone)
  return new Response(null, { status: 204 })
}
