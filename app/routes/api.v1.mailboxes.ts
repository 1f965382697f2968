import { apiRoute } from '#app/api/operation.server.ts'
import { listMailboxes } from '#app/api/workspace.server.ts'

// GET /api/v1/mailboxes (app/api/workspace.server.ts).
const route = apiRoute([listMailboxes])
export const loader = route.loader
export const action = route.action
