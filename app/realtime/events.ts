/**
 * What the live layer publishes after a commit: ids, the changed fields and a timestamp,
 * never whole records. Receivers revalidate their own (authorized) loader data.
 */
export type TicketEvent =
  | {
      type: 'ticket.created'
      workspaceId: string
      ticketId: string
      number: number
      at: string
    }
  | {
      type: 'ticket.updated'
      workspaceId: string
      ticketId: string
      number: number
      changes: Record<string, unknown>
      actorUserId: string | null
      at: string
    }
  | {
      type: 'message.created'
      workspaceId: string
      ticketId: string
      number: number
      messageId: string
      kind: 'reply' | 'note'
      fromCustomer: boolean
      actorUserId: string | null
      at: string
    }
  | {
      /**
       * An agent reply's email changed state (sent by the transport, delivered, bounced, failed).
       * Published by the email worker, to the ticket's room only (the ticket page shows the badge).
       */
      type: 'message.delivery'
      workspaceId: string
      ticketId: string
      number: number
      messageId: string
      status: 'queued' | 'sent' | 'delivered' | 'bounced' | 'failed'
      at: string
    }
  | {
      /**
       * The agent's saved draft of this ticket was deleted (a send, or text cleared, in one of
       * their tabs or the API). To their user room only: their other tabs showing text for this
       * ticket save it again, so what is on a screen stays saved.
       */
      type: 'draft.cleared'
      workspaceId: string
      userId: string
      ticketId: string
      number: number
      /** The draft's generation now: what those tabs' saves must carry (saveDraft). */
      generation: number
      at: string
    }
  | {
      /**
       * The agent's draft of this ticket was saved with text by one of their tabs or devices
       * (`writer`: that page's id). To their user room only: their other tabs on this ticket learn
       * that what they show is no longer the saved draft, and offer to load it (or keep theirs).
       */
      type: 'draft.saved'
      workspaceId: string
      userId: string
      ticketId: string
      number: number
      generation: number
      /** The draft's revision now: a save that carries it writes over it knowingly (saveDraft). */
      revision: string
      writer: string | null
      at: string
    }
  | {
      /** Delivered to one agent only (their user room), never to the workspace. */
      type: 'notification.created'
      workspaceId: string
      userId: string
      ticketId: string
      number: number
      kind: 'assigned' | 'customer-replied' | 'mentioned'
      at: string
    }
