CREATE TABLE "ticket_message_stats" (
	"ticket_id" uuid PRIMARY KEY NOT NULL,
	"message_count" integer NOT NULL,
	"last_reply_id" uuid,
	"last_agent_reply_at" timestamp with time zone,
	"has_attachments" boolean NOT NULL
);
--> statement-breakpoint
ALTER TABLE "ticket_message_stats" ADD CONSTRAINT "ticket_message_stats_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
-- The inbox row's message details, recomputed for the tickets a statement touched. It first locks
-- those tickets (in id order): a concurrent writer of the same ticket waits here until the other
-- commits, and the recount below (a new statement, so a new snapshot) then sees that writer's
-- messages too. Tickets deleted in this transaction (a cascade) are skipped; their row goes with
-- them (on delete cascade).
CREATE FUNCTION "ticket_message_stats_refresh"(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM tickets WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
  INSERT INTO ticket_message_stats AS s (ticket_id, message_count, last_reply_id, last_agent_reply_at, has_attachments)
  SELECT t.id, c.n, lr.id, la.at, ha.yes
  FROM tickets t
  CROSS JOIN LATERAL (SELECT count(*)::int AS n FROM messages m
    WHERE m.ticket_id = t.id AND m.held_until IS NULL) c
  LEFT JOIN LATERAL (SELECT m.id FROM messages m
    WHERE m.ticket_id = t.id AND m.kind = 'reply' AND m.held_until IS NULL
    ORDER BY m.created_at DESC, m.id DESC LIMIT 1) lr ON true
  CROSS JOIN LATERAL (SELECT max(m.created_at) AS at FROM messages m
    WHERE m.ticket_id = t.id AND m.kind = 'reply' AND m.author_user_id IS NOT NULL AND m.held_until IS NULL) la
  CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM messages m JOIN attachments a ON a.message_id = m.id
    WHERE m.ticket_id = t.id AND m.held_until IS NULL) AS yes) ha
  WHERE t.id = ANY(ids)
  ORDER BY t.id
  ON CONFLICT (ticket_id) DO UPDATE SET message_count = excluded.message_count,
    last_reply_id = excluded.last_reply_id, last_agent_reply_at = excluded.last_agent_reply_at,
    has_attachments = excluded.has_attachments;
END $$;
--> statement-breakpoint
CREATE FUNCTION "ticket_message_stats_messages"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    ids := ARRAY(SELECT DISTINCT ticket_id FROM stats_new_messages);
  ELSIF TG_OP = 'DELETE' THEN
    ids := ARRAY(SELECT DISTINCT ticket_id FROM stats_old_messages);
  ELSE
    -- Only changes to what the details are made of (a delivery status update changes nothing).
    ids := ARRAY(
      SELECT o.ticket_id FROM stats_old_messages o JOIN stats_new_messages n ON n.id = o.id
      WHERE (o.ticket_id, o.kind, o.held_until, o.author_user_id, o.created_at)
        IS DISTINCT FROM (n.ticket_id, n.kind, n.held_until, n.author_user_id, n.created_at)
      UNION
      SELECT n.ticket_id FROM stats_old_messages o JOIN stats_new_messages n ON n.id = o.id
      WHERE (o.ticket_id, o.kind, o.held_until, o.author_user_id, o.created_at)
        IS DISTINCT FROM (n.ticket_id, n.kind, n.held_until, n.author_user_id, n.created_at));
  END IF;
  IF cardinality(ids) > 0 THEN
    PERFORM ticket_message_stats_refresh(ids);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "ticket_message_stats_attachments"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    ids := ARRAY(SELECT DISTINCT m.ticket_id FROM messages m WHERE m.id IN (SELECT message_id FROM stats_new_attachments));
  ELSE
    ids := ARRAY(SELECT DISTINCT m.ticket_id FROM messages m WHERE m.id IN (SELECT message_id FROM stats_old_attachments));
  END IF;
  IF cardinality(ids) > 0 THEN
    PERFORM ticket_message_stats_refresh(ids);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "messages_ticket_stats_insert" AFTER INSERT ON "messages"
  REFERENCING NEW TABLE AS stats_new_messages FOR EACH STATEMENT EXECUTE FUNCTION ticket_message_stats_messages();
--> statement-breakpoint
CREATE TRIGGER "messages_ticket_stats_update" AFTER UPDATE ON "messages"
  REFERENCING OLD TABLE AS stats_old_messages NEW TABLE AS stats_new_messages
  FOR EACH STATEMENT EXECUTE FUNCTION ticket_message_stats_messages();
--> statement-breakpoint
CREATE TRIGGER "messages_ticket_stats_delete" AFTER DELETE ON "messages"
  REFERENCING OLD TABLE AS stats_old_messages FOR EACH STATEMENT EXECUTE FUNCTION ticket_message_stats_messages();
--> statement-breakpoint
CREATE TRIGGER "attachments_ticket_stats_insert" AFTER INSERT ON "attachments"
  REFERENCING NEW TABLE AS stats_new_attachments FOR EACH STATEMENT EXECUTE FUNCTION ticket_message_stats_attachments();
--> statement-breakpoint
CREATE TRIGGER "attachments_ticket_stats_delete" AFTER DELETE ON "attachments"
  REFERENCING OLD TABLE AS stats_old_attachments FOR EACH STATEMENT EXECUTE FUNCTION ticket_message_stats_attachments();
--> statement-breakpoint
-- Backfilled after the triggers exist (they lock messages and attachments against writes until
-- the migration commits). Tickets without messages get no row: the queue reads a missing row as
-- no messages.
INSERT INTO "ticket_message_stats" ("ticket_id", "message_count", "last_reply_id", "last_agent_reply_at", "has_attachments")
SELECT s.ticket_id, s.n, s.last_reply_id, s.last_agent_reply_at, a.ticket_id IS NOT NULL
FROM (
  SELECT m.ticket_id, count(*)::int AS n,
    (array_agg(m.id ORDER BY m.created_at DESC, m.id DESC) FILTER (WHERE m.kind = 'reply'))[1] AS last_reply_id,
    max(m.created_at) FILTER (WHERE m.kind = 'reply' AND m.author_user_id IS NOT NULL) AS last_agent_reply_at
  FROM messages m WHERE m.held_until IS NULL GROUP BY m.ticket_id
) s
LEFT JOIN (SELECT DISTINCT m.ticket_id FROM attachments a JOIN messages m ON m.id = a.message_id
  WHERE m.held_until IS NULL) a ON a.ticket_id = s.ticket_id;
