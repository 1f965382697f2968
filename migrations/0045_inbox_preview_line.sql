-- The inbox row's preview line, made once when the message is written instead of on every queue
-- page: the first line of the message's first 600 characters that is neither blank nor quoted
-- (">"), its white space (JavaScript's \s: tabs, no-break and other Unicode spaces, the line
-- separators, U+FEFF) collapsed to single spaces and trimmed, cut at 160 characters (159 and
-- "…", a space before the cut dropped). Null when there is no such line. Characters are Unicode
-- code points, so an emoji is never cut in half. ticket_message_stats kept the first 600
-- characters instead and every queue page cut them in JavaScript (docs/performance.md, session 26).
CREATE FUNCTION "inbox_preview_line"(body text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN char_length(l.line) > 160 THEN rtrim(left(l.line, 159), ' ') || '…' ELSE l.line END
  FROM (
    SELECT btrim(regexp_replace(p.part,
        '[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+', ' ', 'g'), ' ') AS line, p.n
    FROM regexp_split_to_table(left(body, 600), E'\n') WITH ORDINALITY AS p(part, n)
  ) l
  WHERE l.line <> '' AND left(l.line, 1) <> '>'
  ORDER BY l.n
  LIMIT 1
$$;
--> statement-breakpoint
LOCK TABLE "messages", "ticket_tags", "tags", "ticket_triage", "contacts" IN SHARE ROW EXCLUSIVE MODE;
--> statement-breakpoint
-- 0044's recount, with the preview line.
CREATE OR REPLACE FUNCTION "ticket_message_stats_refresh"(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM tickets WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
  INSERT INTO ticket_message_stats AS s (ticket_id, message_count, last_reply_id, last_agent_reply_at,
    has_attachments, last_reply_preview, last_reply_from_agent, tags, gist, contact_name, contact_email)
  SELECT t.id, coalesce(c.n, 0), c.last_reply_id, c.last_agent_reply_at, a.ticket_id IS NOT NULL,
    inbox_preview_line(lm.body_text), CASE WHEN lm.id IS NOT NULL THEN lm.author_user_id IS NOT NULL END,
    coalesce(g.tags, '[]'::json), tr.gist, ct.name, ct.email
  FROM tickets t
  LEFT JOIN contacts ct ON ct.id = t.contact_id
  LEFT JOIN (
    SELECT m.ticket_id, count(*)::int AS n,
      (array_agg(m.id ORDER BY m.created_at DESC, m.id DESC) FILTER (WHERE m.kind = 'reply'))[1] AS last_reply_id,
      max(m.created_at) FILTER (WHERE m.kind = 'reply' AND m.author_user_id IS NOT NULL) AS last_agent_reply_at
    FROM messages m WHERE m.ticket_id = ANY(ids) AND m.held_until IS NULL GROUP BY m.ticket_id
  ) c ON c.ticket_id = t.id
  LEFT JOIN messages lm ON lm.id = c.last_reply_id
  LEFT JOIN (
    SELECT DISTINCT m.ticket_id FROM messages m JOIN attachments a ON a.message_id = m.id
    WHERE m.ticket_id = ANY(ids) AND m.held_until IS NULL
  ) a ON a.ticket_id = t.id
  LEFT JOIN (
    SELECT tt.ticket_id, json_agg(json_build_object('id', tg.id, 'name', tg.name) ORDER BY tg.name, tg.id) AS tags
    FROM ticket_tags tt JOIN tags tg ON tg.id = tt.tag_id
    WHERE tt.ticket_id = ANY(ids) GROUP BY tt.ticket_id
  ) g ON g.ticket_id = t.id
  LEFT JOIN ticket_triage tr ON tr.ticket_id = t.id
  WHERE t.id = ANY(ids)
  ORDER BY t.id
  ON CONFLICT (ticket_id) DO UPDATE SET message_count = excluded.message_count,
    last_reply_id = excluded.last_reply_id, last_agent_reply_at = excluded.last_agent_reply_at,
    has_attachments = excluded.has_attachments, last_reply_preview = excluded.last_reply_preview,
    last_reply_from_agent = excluded.last_reply_from_agent, tags = excluded.tags, gist = excluded.gist,
    contact_name = excluded.contact_name, contact_email = excluded.contact_email;
END $$;
--> statement-breakpoint
-- 0042's message trigger, with the preview line.
CREATE OR REPLACE FUNCTION "ticket_message_stats_messages"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM 1 FROM tickets WHERE id IN (SELECT ticket_id FROM stats_new_messages) ORDER BY id FOR NO KEY UPDATE;
    UPDATE ticket_message_stats s SET
      message_count = s.message_count + n.n,
      (last_reply_id, last_reply_preview, last_reply_from_agent) = (
        SELECT CASE WHEN x.take THEN n.reply_id ELSE s.last_reply_id END,
          CASE WHEN x.take THEN n.reply_preview ELSE s.last_reply_preview END,
          CASE WHEN x.take THEN n.reply_from_agent ELSE s.last_reply_from_agent END
        FROM (SELECT n.reply_id IS NOT NULL AND (s.last_reply_id IS NULL
          OR coalesce((n.reply_at, n.reply_id) > (SELECT m.created_at, m.id FROM messages m WHERE m.id = s.last_reply_id), true)) AS take) x),
      last_agent_reply_at = CASE
        WHEN n.agent_at IS NULL THEN s.last_agent_reply_at
        ELSE greatest(s.last_agent_reply_at, n.agent_at) END
    FROM (
      SELECT m.ticket_id, count(*)::int AS n,
        (array_agg(m.id ORDER BY m.created_at DESC, m.id DESC) FILTER (WHERE m.kind = 'reply'))[1] AS reply_id,
        (array_agg(inbox_preview_line(m.body_text) ORDER BY m.created_at DESC, m.id DESC) FILTER (WHERE m.kind = 'reply'))[1] AS reply_preview,
        (array_agg(m.author_user_id IS NOT NULL ORDER BY m.created_at DESC, m.id DESC) FILTER (WHERE m.kind = 'reply'))[1] AS reply_from_agent,
        max(m.created_at) FILTER (WHERE m.kind = 'reply') AS reply_at,
        max(m.created_at) FILTER (WHERE m.kind = 'reply' AND m.author_user_id IS NOT NULL) AS agent_at
      FROM stats_new_messages m WHERE m.held_until IS NULL GROUP BY m.ticket_id
    ) n
    WHERE s.ticket_id = n.ticket_id;
    -- Tickets without a row: recounted (which includes the new messages, so the update above
    -- found nothing of theirs to add).
    ids := ARRAY(SELECT DISTINCT n.ticket_id FROM stats_new_messages n
      WHERE NOT EXISTS (SELECT 1 FROM ticket_message_stats s WHERE s.ticket_id = n.ticket_id));
  ELSIF TG_OP = 'DELETE' THEN
    ids := ARRAY(SELECT DISTINCT ticket_id FROM stats_old_messages);
  ELSE
    -- Only changes to what the details are made of (a delivery status update changes nothing).
    ids := ARRAY(
      SELECT o.ticket_id FROM stats_old_messages o JOIN stats_new_messages n ON n.id = o.id
      WHERE (o.ticket_id, o.kind, o.held_until, o.author_user_id, o.created_at, o.body_text)
        IS DISTINCT FROM (n.ticket_id, n.kind, n.held_until, n.author_user_id, n.created_at, n.body_text)
      UNION
      SELECT n.ticket_id FROM stats_old_messages o JOIN stats_new_messages n ON n.id = o.id
      WHERE (o.ticket_id, o.kind, o.held_until, o.author_user_id, o.created_at, o.body_text)
        IS DISTINCT FROM (n.ticket_id, n.kind, n.held_until, n.author_user_id, n.created_at, n.body_text));
  END IF;
  IF cardinality(ids) > 0 THEN
    PERFORM ticket_message_stats_refresh(ids);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- The rows kept so far hold the first 600 characters, which is what the line is made from.
UPDATE "ticket_message_stats" SET last_reply_preview = inbox_preview_line(last_reply_preview)
WHERE last_reply_preview IS NOT NULL;
