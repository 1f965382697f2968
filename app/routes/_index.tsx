import { redirect, type LoaderFunctionArgs } from '@remix-run/node'
import { getSignedIn } from '#app/http/auth.server.ts'
import { workspacesOf } from '#app/domain/workspaces.server.ts'

// The app navigates here (after signing in, a link to /) with JavaScript, as a `.data` request,
// and follows its redirect (app/http/data-requests.server.ts).
export const handle = { dataRequests: true }

export async function loader({ request }: LoaderFunctionArgs) {
  const signedIn = await getSignedIn(request)
  if (!signedIn) throw redirect('/login')
  const [first] = await workspacesOf(signedIn.user.id)
  throw redirect(first ? `/w/${first.slug}` : '/workspaces/new')
}
