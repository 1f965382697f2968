import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { destroySession, readSession } from '#app/http/auth.server.ts'
import { safeRedirect } from '#app/utils/redirect.ts'

// The app's own forms post here with JavaScript, as `.data` requests (app/http/data-requests.server.ts).
export const handle = { dataRequests: true }

export async function loader() {
  return redirect('/')
}

/**
 * Signs out, then goes to the sign-in page, or to the same-origin `redirectTo` of the form's URL
 * (the invitation page's "Sign out and sign in as …" goes on to sign in as the invited address).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const session = await readSession(request.headers.get('cookie'))
  const setCookie = await destroySession(session?.id)
  if (session) context.realtime.disconnectSessions([session.id])
  const to = safeRedirect(new URL(request.url).searchParams.get('redirectTo'), '/login')
  return redirect(to, { headers: { 'Set-Cookie': setCookie } })
}
