// The bare baseline for `npm run bench:compare`: node:http + pg, no framework, answering the queue's
// "All open" query (25 rows with contact and assignee names) as JSON. What the database and Node
// allow on this machine; the app's paths are reported as a ratio of it.
// Env: DATABASE_URL, WORKSPACE_ID, PORT (plain JS, so it runs on node without a loader).
import http from 'node:http'
import pg from 'pg'

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

const server = http.createServer(async (req, res) => {
  try {
    const { rows } = await pool.query({ ...ALL_OPEN, values: [workspaceId] })
    const body = JSON.stringify({ rows })
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
