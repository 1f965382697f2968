import type { LoaderFunctionArgs } from '@remix-run/node'
import { customerAttachmentResponse, findCustomerTicket } from '#app/domain/customer-portal.server.ts'
import { notFound } from '#app/domain/errors.server.ts'

/** Downloads an attachment of a public message of the link's ticket; anything else is a 404. */
export async function loader({ params }: LoaderFunctionArgs) {
  const ticket = await findCustomerTicket(params.token)
  if (!ticket) throw notFound('This link is not valid or has expired')
  const response = await customerAttachmentResponse(ticket, params.id ?? '')
  if (!response) throw notFound()
  return response
}
