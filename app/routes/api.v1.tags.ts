import { apiRoute } from '#app/api/operation.server.ts'
import { listTags } from '#app/api/workspace.server.ts'

// GET /api/v1/tags (app/api/workspace.server.ts).
const route = apiRoute([listTags])
export const loader = route.loader
export const action = route.action
