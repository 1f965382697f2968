import type { LoaderFunctionArgs } from '@remix-run/node'
import { findCustomerAttachment, findCustomerTicket } from '#app/domain/customer-portal.server.ts'
import { notFound } from '#app/domain/errors.server.ts'
import { streamFile } from '#app/http/files.server.ts'

/** Downloads an attachment of a public message of the link's ticket; anything else is a 404. */
export async function loader({ params }: LoaderFunctionArgs) {
  const ticket = await findCustomerTicket(params.token)
  if (!ticket) throw notFound('This link is not valid or has expired')
  const file = await findCustomerAttachment(ticket, params.id ?? '')
  // The private link is in this page's URL: never send it on as a Referer.
  const response = file ? await streamFile(file, { 'Referrer-Policy': 'no-referrer' }) : undefined
  if (!response) throw notFound()
  return response
}
