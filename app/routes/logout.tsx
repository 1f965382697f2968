import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { destroySession, readSession } from '#app/http/auth.server.ts'

// The app's own forms post here with JavaScript, as `.data` requests (app/http/data-requests.server.ts).
export const handle = { dataRequests: true }

export async function loader() {
  return redirect('/')
}

export async function action({ request, context }: ActionFunctionArgs) {
  const session = await readSession(request.headers.get('cookie'))
  const setCookie = await destroySession(session?.id)
  if (session) context.realtime.disconnectSessions([session.id])
  return redirect('/login', { headers: { 'Set-Cookie': setCookie } })
}
