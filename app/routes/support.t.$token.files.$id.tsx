import type { LoaderFunctionArgs } from '@remix-run/node'
import { findCustomerAttachment, findCustomerTicket } from '#app/domain/customer-portal.server.ts'
import { notFound } from '#app/domain/errors.server.ts'
import { attachmentResponse } from '#app/http/attachment-response.server.ts'

/** Downloads an attachment of a public message of the link's ticket; anything else is a 404. */
export async function loader({ params }: LoaderFunctionArgs) {
  const ticket = await findCustomerTicket(params.token)
  if (!ticket) throw notFound('This link is not valid or has expired')
  const file = await findCustomerAttachment(ticket, params.id ?? '')
  if (!file) throw notFound()
  return attachmentResponse(file)
}
