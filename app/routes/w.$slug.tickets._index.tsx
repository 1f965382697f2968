import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { requireMember } from '#app/domain/guards.server.ts'

export const meta: MetaFunction = () => [{ title: 'Inbox · Switchboard' }]

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requireMember(request, params.slug)
  return null
}

export default function Inbox() {
  return (
    <div className="max-w-3xl">
      <h1 className="text-2xl font-semibold">Inbox</h1>
      <div className="mt-6 rounded-lg border border-dashed border-slate-300 p-10 text-center dark:border-slate-700">
        <p className="font-medium">No conversations yet</p>
        <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
          When customers write in, their tickets show up here for your team to work together.
        </p>
      </div>
    </div>
  )
}
