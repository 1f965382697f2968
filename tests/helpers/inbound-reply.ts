import { eq } from 'drizzle-orm'
import { getDb } from '#db/client.ts'
import { messages } from '#db/schema.ts'
import { customerReply } from '#app/domain/messages.server.ts'
import { upsertContact } from '#app/domain/tickets.server.ts'

/**
 * An inbound email filed on a ticket, as fileInboundEmail files it (customerReply with its
 * inbound fields), from `address`: flagged when the sender is neither the customer nor CC'd.
 */
export async function inboundReply(
  ticket: { ticketId: string; workspaceId: string },
  address: string,
  body: string,
  notFromParticipant: boolean,
) {
  const contact = await getDb().transaction((tx) =>
    upsertContact(tx, ticket.workspaceId, address, 'Acme Support'),
  )
  const n = Math.random().toString(36).slice(2)
  await customerReply(ticket, body, [], {
    authorContactId: contact.id,
    inbound: {
      threadedBy: 'token',
      notFromParticipant,
      inboundKey: `key-${n}`,
      emailMessageId: `<${n}@${address.split('@')[1]}>`,
      inReplyTo: null,
      bodyHtml: null,
    },
  })
  const [row] = await getDb()
    .select()
    .from(messages)
    .where(eq(messages.emailMessageId, `<${n}@${address.split('@')[1]}>`))
  return row!
}
