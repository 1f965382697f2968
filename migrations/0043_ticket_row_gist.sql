ALTER TABLE "ticket_message_stats" ADD COLUMN "gist" text;--> statement-breakpoint
-- The inbox row's gist (AI triage's one line under the subject) kept on the ticket's
-- ticket_message_stats row too, like 0042's preview and tags: one lookup per row fewer (the
-- queue statement's PostgreSQL CPU on the 1M bench database: see docs/performance.md, session 25).
LOCK TABLE "messages", "ticket_tags", "tags", "ticket_triage" IN SHARE ROW EXCLUSIVE MODE;
--> statement-breakpoint
-- 0042's recount with the gist.
CREATE OR REPLACE FUNCTION "ticket_message_stats_refresh"(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM tickets WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
  INSERT INTO ticket_message_stats AS s (ticket_id, message_count, last_reply_id, last_agent_reply_at,
    has_attachments, last_reply_preview, last_reply_from_agent, tags, gist)
  SELECT t.id, coalesce(c.n, 0), c.last_reply_id, c.last_agent_reply_at, a.ticket_id IS NOT NULL,
    left(lm.body_text, 600), CASE WHEN lm.id IS NOT NULL THEN lm.author_user_id IS NOT NULL END,
    coalesce(g.tags, '[]'::json), tr.gist
  FROM tickets t
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
    last_reply_from_agent = excluded.last_reply_from_agent, tags = excluded.tags, gist = excluded.gist;
END $$;
--> statement-breakpoint
-- The gist of these tickets, again; locked and skipped like 0042's tags.
CREATE FUNCTION "ticket_message_stats_gist"(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  live uuid[];
  missing uuid[];
BEGIN
  live := ARRAY(SELECT id FROM tickets WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE);
  missing := ARRAY(SELECT i FROM unnest(live) i
    WHERE NOT EXISTS (SELECT 1 FROM ticket_message_stats s WHERE s.ticket_id = i));
  IF cardinality(missing) > 0 THEN
    PERFORM ticket_message_stats_refresh(missing);
  END IF;
  UPDATE ticket_message_stats s SET gist = tr.gist
  FROM unnest(live) AS i(id)
  LEFT JOIN ticket_triage tr ON tr.ticket_id = i.id
  WHERE s.ticket_id = i.id AND NOT (i.id = ANY(missing));
END $$;
--> statement-breakpoint
CREATE FUNCTION "ticket_message_stats_triage"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    ids := ARRAY(SELECT ticket_id FROM stats_new_triage);
  ELSIF TG_OP = 'DELETE' THEN
    ids := ARRAY(SELECT ticket_id FROM stats_old_triage);
  ELSE
    -- Only a changed gist (applying a suggestion, a new priority or tags change nothing shown).
    ids := ARRAY(SELECT n.ticket_id FROM stats_new_triage n JOIN stats_old_triage o ON o.ticket_id = n.ticket_id
      WHERE n.gist IS DISTINCT FROM o.gist
      UNION
      SELECT n.ticket_id FROM stats_new_triage n
      WHERE NOT EXISTS (SELECT 1 FROM stats_old_triage o WHERE o.ticket_id = n.ticket_id)
      UNION
      SELECT o.ticket_id FROM stats_old_triage o
      WHERE NOT EXISTS (SELECT 1 FROM stats_new_triage n WHERE n.ticket_id = o.ticket_id));
  END IF;
  IF cardinality(ids) > 0 THEN
    PERFORM ticket_message_stats_gist(ids);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "ticket_triage_ticket_stats_insert" AFTER INSERT ON "ticket_triage"
  REFERENCING NEW TABLE AS stats_new_triage FOR EACH STATEMENT EXECUTE FUNCTION ticket_message_stats_triage();
--> statement-breakpoint
CREATE TRIGGER "ticket_triage_ticket_stats_update" AFTER UPDATE ON "ticket_triage"
  REFERENCING OLD TABLE AS stats_old_triage NEW TABLE AS stats_new_triage
  FOR EACH STATEMENT EXECUTE FUNCTION ticket_message_stats_triage();
--> statement-breakpoint
CREATE TRIGGER "ticket_triage_ticket_stats_delete" AFTER DELETE ON "ticket_triage"
  REFERENCING OLD TABLE AS stats_old_triage FOR EACH STATEMENT EXECUTE FUNCTION ticket_message_stats_triage();
--> statement-breakpoint
-- Backfill, with writers held off by the lock above.
UPDATE "ticket_message_stats" s SET gist = tr.gist FROM "ticket_triage" tr WHERE tr.ticket_id = s.ticket_id;
--> statement-breakpoint
-- Triaged tickets without a row (no messages, no tags) get the whole recount.
SELECT "ticket_message_stats_refresh"(ARRAY(SELECT tr.ticket_id FROM "ticket_triage" tr
  WHERE NOT EXISTS (SELECT 1 FROM "ticket_message_stats" s WHERE s.ticket_id = tr.ticket_id)));
