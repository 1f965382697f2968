import { createContactOp, listContacts } from '#app/api/contacts.server.ts'
import { apiRoute } from '#app/api/operation.server.ts'

// GET and POST /api/v1/contacts (app/api/contacts.server.ts).
const route = apiRoute([listContacts, createContactOp])
export const loader = route.loader
export const action = route.action
