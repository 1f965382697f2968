import { z } from 'zod'
import { Email } from './schemas.ts'
import { CustomerName, MessageBody, Subject } from './ticket-schemas.ts'

/** The public support form and the customer's reply form: shared by the browser and the server. */

export const SupportRequestSchema = z.object({
  name: CustomerName,
  email: Email,
  subject: Subject,
  message: MessageBody,
  /** The honeypot: hidden from people, filled in by naive bots. */
  website: z.string().optional(),
})
export type SupportRequest = z.infer<typeof SupportRequestSchema>

export const CustomerReplySchema = z.object({
  message: MessageBody,
})
