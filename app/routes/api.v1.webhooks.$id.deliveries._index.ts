import { apiRoute } from '#app/api/operation.server.ts'
import { listWebhookDeliveriesOp } from '#app/api/webhooks.server.ts'

// GET /api/v1/webhooks/{id}/deliveries (app/api/webhooks.server.ts).
const route = apiRoute([listWebhookDeliveriesOp])
export const loader = route.loader
export const action = route.action
