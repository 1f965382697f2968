import { getDb } from '#db/client.ts'
import { listCannedResponses as queryCannedResponses } from '#db/queries/canned-responses.ts'

/** The workspace's canned responses, by title. */
export function listCannedResponses(workspaceId: string) {
  return queryCannedResponses(getDb(), workspaceId)
}
