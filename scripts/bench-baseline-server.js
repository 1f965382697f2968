// The bare baseline for `npm run bench:compare`: node:http + pg, no framework, answering the queue's
// "All open" query (25 rows with contact and assignee names) as JSON, and on /api the API list's query. What the database and Node
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

// GET /api: the query `GET /api/v1/tickets?status=open&limit=25` runs (listQueue, sort 'created',
// as the owner, whose token the bench uses), for the API row's ratio.
const API_LIST = {
  name: 'baseline_api_list',
  text: `
    select page.*, c.name as contact_name, c.email as contact_email, u.name as assignee_name,
      to_char(page.last_activity_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as activity_key,
      to_char(page.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_key,
      (r.read_at is null or r.read_at < page.last_customer_message_at) as unread,
      (select coalesce(json_agg(json_build_object('id', tg.id, 'name', tg.name) order by tg.name), '[]'::json)
         from ticket_tags tt join tags tg on tg.id = tt.tag_id where tt.ticket_id = page.id) as tags
    from (
      select t.id, t.number, t.subject, t.status, t.priority, t.last_activity_at, t.created_at,
        t.contact_id, t.assignee_id, t.last_customer_message_at, 0::float8 as rank, null as snippet
      from tickets t
      where t.workspace_id = $1 and t.status = $2
      order by t.created_at desc nulls last, t.id desc nulls last
      limit $3
    ) page
    join contacts c on c.id = page.contact_id
    left join users u on u.id = page.assignee_id
    left join ticket_reads r on r.ticket_id = page.id and r.user_id = $4`,
}
const owner = (
  await pool.query(`select user_id from memberships where workspace_id = $1 and role = 'owner' limit 1`, [
    workspaceId,
  ])
).rows[0]?.user_id

const server = http.createServer(async (req, res) => {
  try {
    const { rows } =
      req.url === '/api'
        ? await pool.query({ ...API_LIST, values: [workspaceId, 'open', 26, owner] })
        : await pool.query({ ...ALL_OPEN, values: [workspaceId] })
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
