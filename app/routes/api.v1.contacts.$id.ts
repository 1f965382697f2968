import { getContact, updateContact } from '#app/api/contacts.server.ts'
import { apiRoute } from '#app/api/operation.server.ts'

// GET and PATCH /api/v1/contacts/{id} (app/api/contacts.server.ts).
const route = apiRoute([getContact, updateContact])
export const loader = route.loader
export const action = route.action
