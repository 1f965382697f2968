import { apiRoute } from '#app/api/operation.server.ts'
import { updateWebhook, deleteWebhook } from '#app/api/webhooks.server.ts'

// PATCH and DELETE /api/v1/webhooks/{id} (app/api/webhooks.server.ts).
const route = apiRoute([updateWebhook, deleteWebhook])
export const loader = route.loader
export const action = route.action
