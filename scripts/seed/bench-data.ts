// `npm run db:seed -- --tickets N`: N generated tickets (about 3 messages each) in the 'bench'
// workspace, loaded in set-based SQL batches so 1,000,000 tickets take minutes, not hours.
import type pg from 'pg'
import { createTicket } from '#app/domain/tickets.server.ts'
import { customerReply, replyToTicket } from '#app/domain/messages.server.ts'
import type { Member } from '#app/domain/workspaces.server.ts'
import { ensureWorkspace, type SeedWorkspace } from './workspace.ts'
import {
  AGENT_SENTENCES,
  EMAIL_DOMAINS,
  FIRST_NAMES,
  LAST_NAMES,
  MAILBOXES,
  NOTE_SENTENCES,
  RARE_WORDS,
  SENTENCE_ENDS,
  SENTENCE_MIDDLES,
  SENTENCE_STARTS,
  SUBJECT_ACTIONS,
  SUBJECT_OPENERS,
} from './words.ts'

export const BENCH_OWNER = { email: 'bench-owner@switchboard.test', password: 'bench-owner-password' }
export const LONG_THREAD_SUBJECT = 'Long thread: 200 messages (benchmark)'
const CONTACTS = 50_000
const BATCH = 25_000
const WORKERS = 2
/** Below this, loading with the indexes in place is quicker than rebuilding them. */
const REBUILD_THRESHOLD = 50_000
const BULK_TABLES = ['tickets', 'messages', 'ticket_tags']

const log = (line: string) => console.log(line)
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1)

export async function seedBenchTickets(pool: pg.Pool, count: number) {
  const started = performance.now()
  const ws = await ensureWorkspace({
    slug: 'bench',
    name: 'Bench',
    owner: { name: 'Bench Owner', ...BENCH_OWNER },
    agents: ['Alex Agent', 'Billie Agent', 'Casey Agent', 'Dana Agent', 'Eli Agent'].map((name) => ({
      name,
      email: `${name.split(' ')[0].toLowerCase()}@bench.switchboard.test`,
    })),
    mailboxes: MAILBOXES,
  })
  await restorePendingDdl(pool) // a previous run that died mid-load
  await seedContacts(pool, ws.id)
  const [{ next }] = (
    await pool.query<{ next: number }>('select next_ticket_number as next from workspaces where id = $1', [
      ws.id,
    ])
  ).rows
  log(
    `Seeding ${count.toLocaleString()} tickets into workspace 'bench' (numbers ${next} to ${next + count - 1})`,
  )
  const rebuild = count >= REBUILD_THRESHOLD
  if (rebuild) await dropBulkIndexes(pool)
  try {
    await loadTickets(pool, ws, next, count)
  } finally {
    if (rebuild) await restorePendingDdl(pool)
  }
  await pool.query('update workspaces set next_ticket_number = $2 where id = $1', [ws.id, next + count])
  const analyzed = performance.now()
  await pool.query('analyze tickets, messages, contacts, ticket_tags, tags')
  log(`analyze: ${seconds(analyzed)} s`)
  const longThread = await seedLongThread(ws)
  log(`Done in ${seconds(started)} s.`)
  return { workspace: ws, longThread }
}

async function seedContacts(pool: pg.Pool, workspaceId: string) {
  const [{ existing }] = (
    await pool.query<{ existing: number }>(
      'select count(*)::int as existing from contacts where workspace_id = $1',
      [workspaceId],
    )
  ).rows
  if (existing >= CONTACTS) return
  const t = performance.now()
  await pool.query(
    `insert into contacts (id, workspace_id, email, name)
     select gen_random_uuid(), $1,
       lower(regexp_replace(f || '.' || l, '[^a-zA-Z.]', '', 'g')) || g || '@' || d, f || ' ' || l
     from (select g,
             ($2::text[])[1 + (g::int8 * 7919) % cardinality($2::text[])] as f,
             ($3::text[])[1 + (g::int8 * 104729 / 40) % cardinality($3::text[])] as l,
             ($4::text[])[1 + g % cardinality($4::text[])] as d
           from generate_series($5::int, $6::int) g) s
     on conflict do nothing`,
    [workspaceId, FIRST_NAMES, LAST_NAMES, EMAIL_DOMAINS, existing + 1, CONTACTS],
  )
  log(`contacts: ${(CONTACTS - existing).toLocaleString()} in ${seconds(t)} s`)
}

/**
 * Secondary indexes and foreign keys of the bulk tables are saved to a table, dropped, and
 * recreated after the load (a sort per index instead of millions of random inserts; one join
 * per foreign key instead of a trigger per row). The saved DDL survives a crash.
 */
async function dropBulkIndexes(pool: pg.Pool) {
  const t = performance.now()
  const client = await pool.connect()
  try {
    await client.query('begin')
    await client.query('create table seed_pending_ddl (step int not null, statement text not null)')
    await client.query(
      `insert into seed_pending_ddl
       select 1, indexdef from pg_indexes
       where schemaname = 'public' and tablename = any($1)
         and indexname not in (select conname from pg_constraint)
       union all
       select 2, format('alter table %s add constraint %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
       from pg_constraint where contype = 'f' and conrelid::regclass::text = any($1)`,
      [BULK_TABLES],
    )
    const { rows } = await client.query<{ statement: string }>(
      `select format('alter table %s drop constraint %I', conrelid::regclass, conname) as statement
       from pg_constraint where contype = 'f' and conrelid::regclass::text = any($1)
       union all
       select format('drop index %I', indexname) from pg_indexes
       where schemaname = 'public' and tablename = any($1)
         and indexname not in (select conname from pg_constraint)`,
      [BULK_TABLES],
    )
    for (const { statement } of rows) await client.query(statement)
    await client.query('commit')
  } catch (error) {
    await client.query('rollback')
    throw error
  } finally {
    client.release()
  }
  log(`dropped secondary indexes and foreign keys of ${BULK_TABLES.join(', ')} (${seconds(t)} s)`)
}

async function restorePendingDdl(pool: pg.Pool) {
  const exists = await pool.query(`select to_regclass('seed_pending_ddl') is not null as yes`)
  if (!exists.rows[0].yes) return
  const t = performance.now()
  const { rows } = await pool.query<{ step: number; statement: string }>(
    'select step, statement from seed_pending_ddl order by step',
  )
  // Index builds in parallel (GIN builds use one core each); foreign keys once they are done.
  for (const step of [1, 2]) {
    const pending = rows.filter((r) => r.step === step).map((r) => r.statement)
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        const client = await pool.connect()
        try {
          await client.query(`set maintenance_work_mem = '512MB'`)
          for (let s = pending.shift(); s; s = pending.shift()) {
            const one = performance.now()
            await client.query(s)
            log(`  ${s.slice(0, 90)}… ${seconds(one)} s`)
          }
        } finally {
          client.release()
        }
      }),
    )
  }
  await pool.query('drop table seed_pending_ddl')
  log(`recreated indexes and foreign keys in ${seconds(t)} s`)
}

/** Per-connection helpers: an ordered tsvector concatenation, time-ordered ids, text pools. */
async function prepareConnection(client: pg.PoolClient, workspaceId: string) {
  await client.query(`set synchronous_commit = off`)
  await client.query(`set work_mem = '64MB'`)
  // The message-stats trigger's recount (ticket_message_stats_refresh) gets a batch's 25,000
  // ticket ids as an array while the messages' indexes are dropped. After five calls PL/pgSQL
  // would switch to a generic plan that tests `= ANY(ids)` element by element on every message
  // row (a batch then took 300 s instead of 5 s); a custom plan hashes the array.
  await client.query(`set plan_cache_mode = force_custom_plan`)
  await client.query(
    `create aggregate pg_temp.tsv_concat(tsvector) (sfunc = pg_catalog.tsvector_concat, stype = tsvector, initcond = '')`,
  )
  // A UUIDv7 for a given time, like db/uuid.ts: ids stay in creation order, so primary key inserts append.
  await client.query(`create function pg_temp.uuid_at(ts timestamptz) returns uuid language sql volatile as $$
    select encode(set_byte(v, 6, (get_byte(v, 6) & 15) | 112), 'hex')::uuid
    from (select overlay(uuid_send(gen_random_uuid())
            placing substring(int8send((extract(epoch from ts) * 1000)::int8) from 3) from 1 for 6) as v) s $$`)
  await client.query(
    `create temp table seed_contacts as
     select row_number() over (order by id)::int as n, id, name, email from contacts where workspace_id = $1`,
    [workspaceId],
  )
  await client.query('create temp table seed_sentences (pool int, i int, txt text, primary key (pool, i))')
  await client.query(
    `insert into seed_sentences select 1, i, t from unnest($1::text[]) with ordinality u(t, i)
     union all select 2, i, t from unnest($2::text[]) with ordinality u(t, i)
     union all select 3, i, t from unnest($3::text[]) with ordinality u(t, i)`,
    [customerSentences(), AGENT_SENTENCES, NOTE_SENTENCES],
  )
  await client.query('analyze seed_contacts, seed_sentences')
}

/** Deterministic combinations: a few thousand distinct customer sentences. */
function customerSentences() {
  const out: string[] = []
  for (let i = 0; i < 5000; i++) {
    const start = SENTENCE_STARTS[i % SENTENCE_STARTS.length]
    const middle = SENTENCE_MIDDLES[(i * 7) % SENTENCE_MIDDLES.length]
    const end = SENTENCE_ENDS[(i * 13) % SENTENCE_ENDS.length]
    out.push(i % 3 === 0 ? `${start} ${middle}.` : `${start} ${middle}. ${end}`)
  }
  return [...new Set(out)]
}

async function loadTickets(pool: pg.Pool, ws: SeedWorkspace, first: number, count: number) {
  const t = performance.now()
  const batches = Array.from({ length: Math.ceil(count / BATCH) }, (_, i) => i)
  let done = 0
  let measured = false
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      const client = await pool.connect()
      try {
        await prepareConnection(client, ws.id)
        for (let b = batches.shift(); b !== undefined; b = batches.shift()) {
          const start = first + b * BATCH
          const size = Math.min(BATCH, first + count - start)
          const measure = !measured
          measured = true
          await loadBatch(client, ws, { start, size, first, count, measure })
          done += size
          log(
            `  ${done.toLocaleString()} / ${count.toLocaleString()} tickets (${Math.round((done / count) * 100)}%), ${seconds(t)} s`,
          )
        }
      } finally {
        client.release()
      }
    }),
  )
  log(`loaded ${count.toLocaleString()} tickets in ${seconds(t)} s`)
}

type Batch = { start: number; size: number; first: number; count: number; measure: boolean }

async function loadBatch(client: pg.PoolClient, ws: SeedWorkspace, batch: Batch) {
  const { rows: sizes } = await client.query<{ pool: number; n: number }>(
    'select pool, count(*)::int as n from seed_sentences group by pool order by pool',
  )
  const [customerPool, agentPool, notePool] = sizes.map((s) => s.n)
  await client.query('begin')
  await client.query(
    `create temp table stage_t on commit drop as
     with b as (
       select g as number,
         $3::timestamptz - interval '365 days' + ((g - $4)::float8 / $5) * interval '364 days'
           + random() * interval '1 hour' as created_at,
         (array[1, 2, 2, 3, 3, 3, 3, 4, 4, 5])[1 + floor(random() * 10)::int] as k,
         1 + floor(power(random(), 1.3) * (select count(*) from seed_contacts))::int as contact_n,
         random() as r_status, random() as r_prio, random() as r_assign, random() as r_mbox,
         random() as r_chan, random() as r_gap
       from generate_series($1::int, $1::int + $2::int - 1) g
     ), t as (
       select b.*,
         r_gap * least(48.0, extract(epoch from ($3::timestamptz - created_at)) / 3600 / 5) * interval '1 hour' as gap
       from b
     )
     select pg_temp.uuid_at(t.created_at) as id, t.number, t.created_at, t.k, t.gap,
       t.created_at + (t.k - 1) * t.gap as last_activity_at,
       c.id as contact_id, c.name as contact_name, c.email as contact_email,
       ($6::text[])[1 + floor(random() * cardinality($6::text[]))::int] || ' '
         || ($7::text[])[1 + floor(power(random(), 1.5) * cardinality($7::text[]))::int] as subject,
       (case when $3::timestamptz - (t.created_at + (t.k - 1) * t.gap) > interval '14 days' then
          case when r_status < 0.6 then 'closed' when r_status < 0.9 then 'resolved'
               when r_status < 0.96 then 'open' else 'pending' end
        else
          case when r_status < 0.45 then 'open' when r_status < 0.7 then 'pending'
               when r_status < 0.9 then 'resolved' else 'closed' end
        end)::ticket_status as status,
       (case when r_prio < 0.15 then 'low' when r_prio < 0.75 then 'normal'
             when r_prio < 0.93 then 'high' else 'urgent' end)::ticket_priority as priority,
       case when r_assign < 0.15 then null
            else ($8::uuid[])[1 + floor((r_assign - 0.15) / 0.85 * cardinality($8::uuid[]))::int] end as assignee_id,
       ($9::uuid[])[1 + floor(power(r_mbox, 1.5) * cardinality($9::uuid[]))::int] as mailbox_id,
       (case when r_chan < 0.7 then 'email' when r_chan < 0.93 then 'web'
             when r_chan < 0.98 then 'phone' else 'api' end)::ticket_channel as channel
     from t join seed_contacts c on c.n = t.contact_n`,
    [
      batch.start,
      batch.size,
      ws.now,
      batch.first,
      batch.count,
      SUBJECT_OPENERS,
      SUBJECT_ACTIONS,
      ws.agentIds,
      ws.mailboxIds,
    ],
  )
  // Messages: the customer writes first, then agents and customer alternate, with some notes.
  await client.query(
    `create temp table stage_m on commit drop as
     with m as (
       select t.id as ticket_id, s.seq, t.created_at + (s.seq - 1) * t.gap as created_at,
         case when s.seq = 1 then 'customer' when random() < 0.12 then 'note'
              when s.seq % 2 = 0 then 'agent' else 'customer' end as role,
         t.contact_id, coalesce(t.assignee_id, ($1::uuid[])[1]) as agent_id,
         split_part(t.contact_name, ' ', 1) as first_name,
         random() as r1, random() as r2, random() as r3, random() as r4, random() as r5
       from stage_t t cross join lateral generate_series(1, t.k) s(seq)
     ), p as (
       select m.*, case role when 'customer' then 1 when 'agent' then 2 else 3 end as pool,
         case role when 'customer' then $2::int when 'agent' then $3::int else $4::int end as n
       from m
     )
     select p.ticket_id, p.seq, p.created_at, p.role, p.contact_id, p.agent_id,
       case p.role
         when 'customer' then s1.txt || coalesce(' ' || s2.txt, '') || coalesce(' ' || s3.txt, '')
           || case when p.r4 < 0.3 then ' Order number ' || (100000 + floor(p.r5 * 900000))::int || '.' else '' end
           || case when p.r5 < 0.0006 then ' It happens with the ' || ($5::text[])[1 + floor(p.r4 * cardinality($5::text[]))::int] || ' module too.' else '' end
           || E'\n\n' || p.first_name
         when 'agent' then 'Hi ' || p.first_name || E',\n\n' || s1.txt || coalesce(' ' || s2.txt, '') || E'\n\nBest regards'
         else s1.txt
       end as body
     from p
     join seed_sentences s1 on s1.pool = p.pool and s1.i = 1 + floor(power(p.r1, 2) * p.n)::int
     left join seed_sentences s2 on p.r2 < 0.7 and s2.pool = p.pool and s2.i = 1 + floor(p.r2 / 0.7 * p.n)::int
     left join seed_sentences s3 on p.pool = 1 and p.r3 < 0.4 and s3.pool = 1 and s3.i = 1 + floor(p.r3 / 0.4 * p.n)::int`,
    [ws.agentIds, customerPool, agentPool, notePool, RARE_WORDS],
  )
  if (batch.measure) await measureGeneratedColumn(client, batch.count)
  // The search document exactly as the domain builds it: subject and customer (A) at creation,
  // then each message body appended in order (B).
  await client.query(
    `insert into tickets (id, workspace_id, number, mailbox_id, contact_id, subject, status, priority,
       assignee_id, channel, thread_message_id, message_count, first_response_at, resolved_at,
       last_activity_at, last_customer_message_at, created_at, updated_at, search)
     select t.id, $1, t.number, t.mailbox_id, t.contact_id, t.subject, t.status, t.priority,
       t.assignee_id, t.channel, '<ticket-' || t.id || '@' || $2 || '>', t.k, a.first_response_at,
       case when t.status in ('resolved', 'closed') then t.last_activity_at end,
       t.last_activity_at, a.last_customer_message_at, t.created_at, t.last_activity_at,
       setweight(to_tsvector('english', t.subject), 'A')
         || setweight(to_tsvector('simple', t.contact_name || ' ' || t.contact_email), 'A')
         || a.bodies
     from stage_t t join (
       select ticket_id,
         pg_temp.tsv_concat(setweight(to_tsvector('english', left(body, 200000)), 'B') order by seq) as bodies,
         min(created_at) filter (where role = 'agent') as first_response_at,
         max(created_at) filter (where role = 'customer') as last_customer_message_at
       from stage_m group by ticket_id
     ) a on a.ticket_id = t.id
     order by t.number`,
    [ws.id, ws.host],
  )
  await client.query(
    `insert into messages (id, workspace_id, ticket_id, kind, author_user_id, author_contact_id, body_text,
       email_message_id, in_reply_to, delivery_status, created_at)
     select pg_temp.uuid_at(m.created_at), $1, m.ticket_id,
       (case when m.role = 'note' then 'note' else 'reply' end)::message_kind,
       case when m.role <> 'customer' then m.agent_id end,
       case when m.role = 'customer' then m.contact_id end,
       m.body,
       case when m.role = 'agent' then '<msg-' || gen_random_uuid() || '@' || $2 || '>' end,
       case when m.role = 'agent' then '<ticket-' || m.ticket_id || '@' || $2 || '>' end,
       case when m.role = 'agent' then 'sent'::email_status end,
       m.created_at
     from stage_m m order by m.created_at`,
    [ws.id, ws.host],
  )
  await client.query(
    `insert into ticket_tags (ticket_id, tag_id, workspace_id)
     select id, ($2::uuid[])[1 + floor(power(random(), 1.5) * cardinality($2::uuid[]))::int], $1
     from stage_t, generate_series(1, 2) n where random() < case n when 1 then 0.35 else 0.1 end
     on conflict do nothing`,
    [ws.id, ws.tagIds],
  )
  await client.query('commit')
}

/** messages.search is a generated column: time the to_tsvector work it adds to every insert. */
async function measureGeneratedColumn(client: pg.PoolClient, total: number) {
  const t = performance.now()
  const { rows } = await client.query<{ n: number }>(
    `select count(*)::int as n, sum(length(to_tsvector('english', left(body, 200000)))) from stage_m`,
  )
  const ms = performance.now() - t
  const perMessage = ms / rows[0].n
  log(
    `  messages.search (generated column): ${(perMessage * 1000).toFixed(1)} µs per message, ` +
      `≈ ${((perMessage * total * 3) / 1000).toFixed(0)} s of one core for ${(total * 3).toLocaleString()} messages`,
  )
}

/** One ticket with a 200-message thread, written through the domain like a real conversation. */
async function seedLongThread(ws: SeedWorkspace) {
  const t = performance.now()
  const member: Member & { user: { name: string } } = {
    userId: ws.ownerId,
    role: 'owner',
    workspaceId: ws.id,
    workspaceSlug: 'bench',
    workspaceName: 'Bench',
    user: { name: 'Bench Owner' },
  }
  const created = await createTicket(
    { workspaceId: ws.id, userId: null },
    {
      mailboxId: ws.mailboxIds[0],
      customerEmail: 'long.thread@example.org',
      customerName: 'Lona Thread',
      subject: LONG_THREAD_SUBJECT,
      body: 'The export keeps failing with a timeout. This is the first message of a long conversation.',
      channel: 'email',
    },
  )
  if (created.kind !== 'created') throw new Error('could not create the long-thread ticket')
  for (let i = 2; i <= 200; i++) {
    const body = `${SENTENCE_MIDDLES[i % SENTENCE_MIDDLES.length]} (message ${i} of the thread).`
    if (i % 2 === 1) {
      await customerReply({ ticketId: created.ticketId, workspaceId: ws.id }, `Still happening: ${body}`)
    } else {
      const kind = i % 10 === 0 ? 'note' : 'reply'
      // Seeded by the operator: the workspace's outbound email limit is not the script's.
      await replyToTicket(
        member,
        created.number,
        { kind, body: `${AGENT_SENTENCES[i % AGENT_SENTENCES.length]} ${body}` },
        { unlimited: true },
      )
    }
  }
  log(`long thread: ticket #${created.number} with 200 messages in ${seconds(t)} s`)
  return created.number
}
