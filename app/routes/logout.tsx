import { redirect, type ActionFunctionArgs } from '@remix-run/node'
import { destroySession, readSession } from '#app/http/auth.server.ts'

export async function loader() {
  return redirect('/')
}

export async function action({ request, context }: ActionFunctionArgs) {
  const session = await readSession(request.headers.get('cookie'))
  const setCookie = await destroySession(session?.id)
  if (session) context.realtime.disconnectSessions([session.id])
  return redirect('/login', { headers: { 'Set-Cookie': setCookie } })
}
