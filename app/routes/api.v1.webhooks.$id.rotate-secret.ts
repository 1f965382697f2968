import { apiRoute } from '#app/api/operation.server.ts'
import { rotateWebhookSecretOp } from '#app/api/webhooks.server.ts'

// POST /api/v1/webhooks/{id}/rotate-secret (app/api/webhooks.server.ts).
const route = apiRoute([rotateWebhookSecretOp])
export const loader = route.loader
export const action = route.action
