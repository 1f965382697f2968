import { apiRoute } from '#app/api/operation.server.ts'
import { getTicket, updateTicket } from '#app/api/tickets.server.ts'

// GET and PATCH /api/v1/tickets/{number} (app/api/tickets.server.ts).
const route = apiRoute([getTicket, updateTicket])
export const loader = route.loader
export const action = route.action
