import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useActionData, useLoaderData } from '@remix-run/react'
import {
  SupportFormErrorBoundary,
  SupportFormPage,
  supportFormTitle,
} from '#app/components/support-form-page.tsx'
import { unlessActionNeverArrived } from '#app/utils/layout-revalidation.ts'
import { keepPageWhenUnanswered } from '#app/utils/unanswered.ts'
import { supportFormAction, supportFormLoader } from './support-form.server.ts'

export const meta: MetaFunction<typeof loader> = ({ data, error }) => [
  { title: supportFormTitle({ data, error }) },
]

/** The public support form of one mailbox, by its key: /support/<slug>/<mailbox>. */
export async function loader(args: LoaderFunctionArgs) {
  return supportFormLoader(args)
}

export async function action(args: ActionFunctionArgs) {
  return supportFormAction(args)
}

// A request sent with no answer (offline) keeps the page and what the customer wrote.
export const clientAction = keepPageWhenUnanswered
export const shouldRevalidate = unlessActionNeverArrived

export default function SupportFormRoute() {
  return <SupportFormPage data={useLoaderData<typeof loader>()} actionData={useActionData<typeof action>()} />
}
export const ErrorBoundary = SupportFormErrorBoundary
