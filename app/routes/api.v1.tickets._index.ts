import { apiRoute } from '#app/api/operation.server.ts'
import { createTicketOp, listTickets } from '#app/api/tickets.server.ts'

// GET /api/v1/tickets, POST /api/v1/tickets (app/api/tickets.server.ts).
const route = apiRoute([listTickets, createTicketOp])
export const loader = route.loader
export const action = route.action
