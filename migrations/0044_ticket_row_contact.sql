ALTER TABLE "ticket_message_stats" ADD COLUMN "contact_name" text;--> statement-breakpoint
ALTER TABLE "ticket_message_stats" ADD COLUMN "contact_email" text;--> statement-breakpoint
-- The contact's name and email on the ticket's ticket_message_stats row, like 0042's preview and
-- tags: the queue page reads no contacts row (one index probe per row fewer; docs/performance.md,
-- session 25).
LOCK TABLE "messages", "ticket_tags", "tags", "ticket_triage", "contacts" IN SHARE ROW EXCLUSIVE MODE;
--> statement-breakpoint
-- 0043's recount with the contact.
CREATE OR REPLACE FUNCTION "ticket_message_stats_refresh"(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM tickets WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
  INSERT INTO ticket_message_stats AS s (ticket_id, message_count, last_reply_id, last_agent_reply_at,
    has_attachments, last_reply_preview, last_reply_from_agent, tags, gist, contact_name, contact_email)
  SELECT t.id, coalesce(c.n, 0), c.last_reply_id, c.last_agent_reply_at, a.ticket_id IS NOT NULL,
    left(lm.body_text, 600), CASE WHEN lm.id IS NOT NULL THEN lm.author_user_id IS NOT NULL END,
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
-- The contact of these tickets, again. The tickets are locked first (id order), then their
-- contacts FOR SHARE: a rename of one that is under way finishes first, and this statement (a new
-- snapshot) reads its new name; a rename that starts later waits for this transaction, and its
-- own trigger then finds the ticket among its contact's.
CREATE FUNCTION "ticket_message_stats_contact"(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  live uuid[];
  missing uuid[];
BEGIN
  live := ARRAY(SELECT id FROM tickets WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE);
  PERFORM 1 FROM contacts WHERE id IN (SELECT contact_id FROM tickets WHERE id = ANY(live)) ORDER BY id FOR SHARE;
  missing := ARRAY(SELECT i FROM unnest(live) i
    WHERE NOT EXISTS (SELECT 1 FROM ticket_message_stats s WHERE s.ticket_id = i));
  IF cardinality(missing) > 0 THEN
    PERFORM ticket_message_stats_refresh(missing);
  END IF;
  UPDATE ticket_message_stats s SET contact_name = c.name, contact_email = c.email
  FROM tickets t JOIN contacts c ON c.id = t.contact_id
  WHERE t.id = ANY(live) AND s.ticket_id = t.id AND NOT (t.id = ANY(missing));
END $$;
--> statement-breakpoint
-- A contact's new name or email: every ticket of theirs. The tickets are found by a locking read,
-- which skips one a concurrent merge has just moved to another contact.
CREATE FUNCTION "ticket_message_stats_contacts"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
BEGIN
  ids := ARRAY(SELECT t.id FROM tickets t WHERE t.contact_id IN (
      SELECT n.id FROM stats_new_contacts n JOIN stats_old_contacts o ON o.id = n.id
      WHERE (n.name, n.email) IS DISTINCT FROM (o.name, o.email))
    ORDER BY t.id FOR NO KEY UPDATE);
  IF cardinality(ids) > 0 THEN
    PERFORM ticket_message_stats_contact(ids);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- A ticket moved to another contact (a merge).
CREATE FUNCTION "ticket_message_stats_ticket_contact"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM ticket_message_stats_contact(ARRAY[NEW.id]);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "contacts_ticket_stats_update" AFTER UPDATE ON "contacts"
  REFERENCING OLD TABLE AS stats_old_contacts NEW TABLE AS stats_new_contacts
  FOR EACH STATEMENT EXECUTE FUNCTION ticket_message_stats_contacts();
--> statement-breakpoint
CREATE TRIGGER "tickets_ticket_stats_contact" AFTER UPDATE OF "contact_id" ON "tickets"
  FOR EACH ROW WHEN (OLD.contact_id IS DISTINCT FROM NEW.contact_id)
  EXECUTE FUNCTION ticket_message_stats_ticket_contact();
--> statement-breakpoint
-- Backfill, with writers held off by the lock above (tickets moving contact: a merge locks the
-- contacts first, so it waits too).
UPDATE "ticket_message_stats" s SET contact_name = c.name, contact_email = c.email
FROM "tickets" t JOIN "contacts" c ON c.id = t.contact_id WHERE t.id = s.ticket_id;
