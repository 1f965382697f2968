import { createMessage, listMessages } from '#app/api/messages.server.ts'
import { apiRoute } from '#app/api/operation.server.ts'

// GET and POST /api/v1/tickets/{number}/messages (app/api/messages.server.ts).
const route = apiRoute([listMessages, createMessage])
export const loader = route.loader
export const action = route.action
