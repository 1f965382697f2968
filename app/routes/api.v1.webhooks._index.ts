import { apiRoute } from '#app/api/operation.server.ts'
import { listWebhooks, createWebhook } from '#app/api/webhooks.server.ts'

// GET and POST /api/v1/webhooks (app/api/webhooks.server.ts).
const route = apiRoute([listWebhooks, createWebhook])
export const loader = route.loader
export const action = route.action
