import { redirect, type LoaderFunctionArgs } from '@remix-run/node'
import { getSignedIn } from '#app/http/auth.server.ts'
import { workspacesOf } from '#app/domain/workspaces.server.ts'

export async function loader({ request }: LoaderFunctionArgs) {
  const signedIn = await getSignedIn(request)
  if (!signedIn) throw redirect('/login')
  const [first] = await workspacesOf(signedIn.user.id)
  throw redirect(first ? `/w/${first.slug}` : '/workspaces/new')
}
