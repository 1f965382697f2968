import { apiRoute } from '#app/api/operation.server.ts'
import { listMembers } from '#app/api/workspace.server.ts'

// GET /api/v1/members (app/api/workspace.server.ts).
const route = apiRoute([listMembers])
export const loader = route.loader
export const action = route.action
