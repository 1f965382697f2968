import { apiRoute } from '#app/api/operation.server.ts'
import { redeliverWebhookOp } from '#app/api/webhooks.server.ts'

// POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver (app/api/webhooks.server.ts).
const route = apiRoute([redeliverWebhookOp])
export const loader = route.loader
export const action = route.action
