// The bare baseline for `npm run bench:compare`: node:http + pg, no framework, answering the queue's
// "All open" query (25 rows with contact and assignee names) as JSON, and on /api the API list's statement. What the database and Node
// allow on this machine; the app's paths are reported as a ratio of it.
// Env: DATABASE_URL, WORKSPACE_ID, PORT (plain JS; Node 24 strips the types of the one .ts it imports).
import http from 'node:http'
import pg from 'pg'
import { listApiTicketsPage } from '../db/queries/api-tickets.ts'

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 })
pool.on('error', () => {})
const workspaceId = process.env.WORKSPACE_ID

const ALL_OPEN = {
  name: 'baseline_all_open',
  text: `
    select t.id, t.number, t.subject, t.status, t.priority, t.last_activity_at,
      c.name as contact_name, c.email as contact_email, u.name as assignee_name
    from tickets t
    join contacts c on c.id = t.contact_id
    left join users u on u.id = t.assignee_id
    where t.workspace_id = $1 and t.status = 'open'
    order by t.last_activity_at desc nulls last, t.id desc nulls last
    limit 25`,
}

// GET /api: what `GET /api/v1/tickets?status=open&limit=25` runs, from the app's own statement
// builder (Node strips the types of db/queries/api-tickets.ts), so both run the same SQL text
// as a named prepared statement, and answer the same body: the page PostgreSQL serialized, with
// its next cursor, for the API row's ratio.
const API_PAGE = { workspaceId, filters: { status: 'open' }, limit: 25 }

const server = http.createServer(async (req, res) => {
  try {
    let body
    if (req.url === '/api') {
      const page = await listApiTicketsPage(pool, API_PAGE)
      const cursor = page.next && Buffer.from(JSON.stringify(page.next)).toString('base64url')
      body = `{"data":${page.data},"next_cursor":${JSON.stringify(cursor)}}`
    } else {
      const { rows } = await pool.query({ ...ALL_OPEN, values: [workspaceId] })
      body = JSON.stringify({ rows })
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  } catch (error) {
    res.writeHead(500).end(String(error))
  }
})
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'))
process.on('SIGTERM', () => {
  server.close()
  void pool.end().finally(() => process.exit(0))
})
